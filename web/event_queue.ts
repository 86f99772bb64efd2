/**
 * Live events waiting for the next frame. The stream can bring a hundred events a second for a big
 * fleet; the app applies them once per animation frame, and this queue keeps only what still
 * matters: a `fleet` event drops everything before it, and a host's, a pull's or the queue's newer
 * state replaces the older one still waiting. Pure, so it is tested with `deno test`.
 *
 * @module
 */

import type { LiveEvents } from "../shared/dashboard.ts";

/** One event of the stream, by name. */
export type LiveEvent = { [K in keyof LiveEvents]: { name: K; data: LiveEvents[K] } }[
  keyof LiveEvents
];

/** The event names the dashboard listens for. */
export const LIVE_EVENT_NAMES: readonly (keyof LiveEvents)[] = [
  "fleet",
  "host",
  "host-removed",
  "spark",
  "pull",
  "queue",
];

/** Events in arrival order, with superseded ones dropped. */
export class EventQueue {
  #events: (LiveEvent | null)[] = [];
  /** Where the waiting `host`, `pull` and `queue` events sit, by `host:id`, `pull:id`, `queue`. */
  #slots = new Map<string, number>();
  /** Superseded events left as `null` in `#events`. */
  #holes = 0;

  /** How many events wait. */
  get size(): number {
    return this.#events.length - this.#holes;
  }

  /** Adds an event, replacing the one it supersedes. */
  push(event: LiveEvent): void {
    if (event.name === "fleet") {
      this.#events = [];
      this.#slots.clear();
      this.#holes = 0;
    }
    const slot = slotOf(event);
    if (event.name === "host-removed") {
      const at = this.#slots.get(`host:${event.data.id}`);
      if (at !== undefined) {
        this.#events[at] = null;
        this.#holes++;
        this.#slots.delete(`host:${event.data.id}`);
      }
    }
    if (slot !== null) {
      const at = this.#slots.get(slot);
      if (at !== undefined) {
        this.#events[at] = event;
        return;
      }
      this.#slots.set(slot, this.#events.length);
    }
    this.#events.push(event);
  }

  /** Takes every waiting event, oldest first, and empties the queue. */
  drain(): LiveEvent[] {
    const events = this.#events.filter((e): e is LiveEvent => e !== null);
    this.#events = [];
    this.#slots.clear();
    this.#holes = 0;
    return events;
  }
}

function slotOf(event: LiveEvent): string | null {
  switch (event.name) {
    case "host":
      return `host:${event.data.id}`;
    case "pull":
      return `pull:${event.data.id}`;
    case "queue":
      return "queue";
    default:
      return null;
  }
}
