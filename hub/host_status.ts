/**
 * The registry's state machine for one host, as pure code: {@link nextHealth} takes a host's
 * {@link Health} and an event and returns the new one. The status is derived, never set, from three
 * facts the events move: what the operator asked (`admin`), whether the hub hears the host
 * (`connected`), and whether its Ollama answers; a host that keeps dropping is held `degraded` on
 * probation until it has stayed up for a while (damping).
 *
 * | from \ to  | online | degraded | offline | draining | maintenance |
 * | ---------- | ------ | -------- | ------- | -------- | ----------- |
 * | online     |        | ollama down, | lost | drain    | maintenance |
 * | degraded   | ollama up / probation over |  | lost | drain | maintenance |
 * | offline    | live   | live (ollama down or flapping) |  | drain | maintenance |
 * | draining   | resume | resume   | resume (if lost) |  | maintenance |
 * | maintenance| resume | resume   | resume (if lost) | drain |          |
 *
 * While draining or in maintenance the host's connectivity is still tracked, so that `resume`
 * lands on the right status.
 *
 * @module
 */

import type { HostStatus } from "./host.ts";

/** What the operator asked of a host. */
export type AdminState = "none" | "draining" | "maintenance";

/** A host's health: the facts, and the status derived from them. */
export interface Health {
  readonly status: HostStatus;
  /** When `status` last changed. */
  readonly since: number;
  /** Why the host is not online, in words; `null` when it is. */
  readonly reason: string | null;
  readonly admin: AdminState;
  readonly connected: boolean;
  readonly ollamaReachable: boolean;
  /** The Ollama error, when it does not answer. */
  readonly ollamaError: string | null;
  /** When the host was lost recently (within the damping window), oldest first. */
  readonly drops: readonly number[];
  /** Until when a flapping host stays degraded. */
  readonly probationUntil: number;
}

/** What can happen to a host. */
export type HealthEvent =
  | { type: "live"; at: number; ollamaReachable: boolean; ollamaError?: string | null }
  | { type: "lost"; at: number; reason: string }
  | { type: "tick"; at: number }
  | { type: "drain"; at: number }
  | { type: "maintenance"; at: number }
  | { type: "resume"; at: number };

/** Damping: this many losses within {@link FLAP_WINDOW_MS} put a host on probation. */
export const FLAP_DROPS = 3;
/** The window in which losses are counted. */
export const FLAP_WINDOW_MS = 60_000;
/** How long a flapping host must stay up before it is online again. */
export const PROBATION_MS = 30_000;

/** A host first heard of at `at`: connected, not yet known to have a working Ollama. */
export function initialHealth(at: number, connected = false): Health {
  return derive(
    {
      status: "offline",
      since: at,
      reason: connected ? null : "not yet connected",
      admin: "none",
      connected,
      ollamaReachable: connected,
      ollamaError: null,
      drops: [],
      probationUntil: 0,
    },
    at,
    connected ? null : "not yet connected",
  );
}

function derive(facts: Health, at: number, lostReason: string | null): Health {
  let status: HostStatus;
  let reason: string | null = null;
  if (facts.admin !== "none") {
    status = facts.admin;
    reason = facts.admin === "draining" ? "draining: takes no new requests" : "in maintenance";
  } else if (!facts.connected) {
    status = "offline";
    reason = lostReason ?? facts.reason ?? "lost";
  } else if (!facts.ollamaReachable) {
    status = "degraded";
    reason = `Ollama does not answer${facts.ollamaError ? `: ${facts.ollamaError}` : ""}`;
  } else if (facts.probationUntil > at) {
    status = "degraded";
    reason = `on probation after ${facts.drops.length} drops in ${FLAP_WINDOW_MS / 1000} s`;
  } else {
    status = "online";
  }
  const since = status === facts.status ? facts.since : at;
  return { ...facts, status, since, reason };
}

/** The health after `event`; the same object when nothing changed. */
export function nextHealth(health: Health, event: HealthEvent): Health {
  const at = event.at;
  let next: Health;
  switch (event.type) {
    case "live": {
      const ollamaError = event.ollamaReachable ? null : (event.ollamaError ?? null);
      next = derive(
        {
          ...health,
          connected: true,
          ollamaReachable: event.ollamaReachable,
          ollamaError,
        },
        at,
        null,
      );
      break;
    }
    case "lost": {
      // Never connected, or already lost: only the reason can change (no new drop is counted).
      if (!health.connected) {
        if (health.admin !== "none" || health.reason === event.reason) return health;
        return { ...health, reason: event.reason };
      }
      const drops = [...health.drops.filter((t) => at - t < FLAP_WINDOW_MS), at];
      const probationUntil = drops.length >= FLAP_DROPS ? at + PROBATION_MS : health.probationUntil;
      next = derive({ ...health, connected: false, drops, probationUntil }, at, event.reason);
      break;
    }
    case "tick":
      next = derive(health, at, null);
      break;
    case "drain":
      next = derive({ ...health, admin: "draining" }, at, null);
      break;
    case "maintenance":
      next = derive({ ...health, admin: "maintenance" }, at, null);
      break;
    case "resume":
      next = derive({ ...health, admin: "none" }, at, health.connected ? null : "lost");
      break;
  }
  return sameHealth(health, next) ? health : next;
}

function sameHealth(a: Health, b: Health): boolean {
  return a.status === b.status && a.reason === b.reason && a.admin === b.admin &&
    a.connected === b.connected && a.ollamaReachable === b.ollamaReachable &&
    a.ollamaError === b.ollamaError && a.drops.length === b.drops.length &&
    a.probationUntil === b.probationUntil;
}
