/**
 * Routing explained: what each route reason the hub records (`X-Corral-Route`) means, and a
 * request's story in a few sentences (where it went, why, retries, queueing, what came back).
 * Pure.
 *
 * @module
 */

import { duration } from "../format.ts";
import type { RequestView } from "./types.ts";

/** The route reasons, as the router names them, with a short name and what they mean. */
export const ROUTE_REASONS: Readonly<Record<string, { short: string; meaning: string }>> = {
  loaded: {
    short: "loaded",
    meaning: "the model was already loaded on this host and it had a free slot",
  },
  "loaded-busy": {
    short: "loaded, busy",
    meaning: "the model was loaded here but every slot was busy; waiting for this host was " +
      "expected to be quicker than loading the model on another one",
  },
  "on-disk": {
    short: "on disk",
    meaning: "no host had the model loaded with a free slot; this host had it on disk and " +
      "loading it here was expected to cost least, counting what the load evicts",
  },
  reload: {
    short: "reload",
    meaning: "this host had the model loaded with another context, which Ollama replaces; no " +
      "other host could serve the request for less",
  },
  pull: {
    short: "pull",
    meaning: "no host had the model; this host had the most free room to pull it",
  },
  pinned: {
    short: "pinned",
    meaning: "an admin pinned this model to this host, which overrides the other rules",
  },
  any: {
    short: "any host",
    meaning: "the request needs no particular model, so any usable host could answer it",
  },
};

/**
 * A recorded route split into its reason and details: the hub records
 * `on-disk; ctx=8192; load=6.3GB; evicts=gemma3:12b` (`describeRoute()` in hub/dispatch.ts).
 */
export function parseRoute(route: string): { reason: string; details: Record<string, string> } {
  const [reason = "", ...parts] = route.split(";").map((p) => p.trim());
  const details: Record<string, string> = {};
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) details[part] = "";
    else details[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { reason, details };
}

/** A route reason's short name (`loaded`, `on disk`); the reason itself when unknown. */
export function routeShort(route: string | null): string {
  if (route === null) return "–";
  const { reason } = parseRoute(route);
  return ROUTE_REASONS[reason]?.short ?? reason;
}

/** What the route's details say, in words: the runner's context, the load and its victims. */
function routeDetails(details: Record<string, string>): string[] {
  const lines: string[] = [];
  if (details.load !== undefined) {
    const context = details.ctx ? ` with a ${details.ctx}-token context` : "";
    lines.push(`The hub expected the load${context} to take ${details.load} of GPU memory.`);
    if (details.evicts) {
      lines.push(
        `To make room, Ollama was expected to unload ${details.evicts.split(",").join(", ")}.`,
      );
    } else {
      lines.push("It was expected to fit without unloading any other model.");
    }
    if (details["waits-for-busy"] !== undefined) {
      lines.push("Room could only be made by unloading a model in use: Ollama waits for it.");
    }
    if (details["spills-to-ram"] !== undefined) {
      lines.push("It was not expected to fit in GPU memory: part of it runs from system memory.");
    }
  } else if (details.ctx) {
    lines.push(`It ran on a runner with a ${details.ctx}-token context.`);
  }
  return lines;
}

/** How a status reads: `ok` below 400 without an error, `warn` for 4xx, `bad` otherwise. */
export function statusTone(r: Pick<RequestView, "status" | "error">): "ok" | "warn" | "bad" {
  if (r.status >= 500 || (r.error !== null && r.status < 400)) return "bad";
  if (r.status >= 400) return "warn";
  return "ok";
}

/**
 * A request's routing story, one sentence a line: the host and why, the retries, the wait in the
 * fleet queue, the model load, and how it ended.
 */
export function explainRequest(r: RequestView): string[] {
  const lines: string[] = [];
  const model = r.model === null ? "the request" : `"${r.model}"`;
  if (r.host === null) {
    lines.push(
      r.status >= 400
        ? `No host answered: the hub refused or could not route ${model}.`
        : "The hub answered this request itself, without a host.",
    );
  } else {
    const parsed = r.route === null ? null : parseRoute(r.route);
    const reason = parsed === null ? null : ROUTE_REASONS[parsed.reason];
    const why = reason
      ? `because ${reason.meaning} (route "${parsed!.reason}")`
      : parsed === null
      ? "(no route reason recorded)"
      : `(route "${parsed.reason}")`;
    lines.push(`Sent to ${r.host.name} ${why}.`);
    if (parsed) lines.push(...routeDetails(parsed.details));
  }
  if (r.attempts > 1) {
    const others = r.attempts - 1;
    lines.push(
      `${r.attempts} hosts were tried: ${others === 1 ? "the first" : `the first ${others}`} ` +
        `failed before sending anything, so the hub retried on the next-best host.`,
    );
  }
  if (r.queuedMs !== null && r.queuedMs > 0) {
    lines.push(`It waited ${duration(r.queuedMs)} in the fleet queue for a free slot.`);
  }
  if (r.loadMs !== null && r.loadMs >= 100) {
    lines.push(`Ollama spent ${duration(r.loadMs)} loading the model before answering.`);
  }
  if (r.error !== null) lines.push(`It ended with an error: ${r.error}`);
  else if (r.status >= 400) lines.push(`The answer was an error (HTTP ${r.status}).`);
  return lines;
}
