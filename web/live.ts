/**
 * The live stream: one `EventSource` on `/api/events` feeding the {@link fleet} store. Events wait
 * in an {@link EventQueue} and are applied once per animation frame (once a second while the tab
 * is hidden), so a busy fleet costs one render per card per frame at most.
 *
 * The browser reconnects a dropped stream by itself, and the hub starts every connection with a
 * `fleet` event that replaces the store. A stream refused outright (the hub answered 401, 403 or
 * 503) is closed for good by the browser: then the session is checked (a 401 sends the user to
 * the login page) and the stream opened again after a growing pause.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type { Me } from "../shared/dashboard.ts";
import { api, ApiError } from "./api.ts";
import { EventQueue, LIVE_EVENT_NAMES, type LiveEvent } from "./event_queue.ts";
import { authState, setMe } from "./session.ts";
import { fleet } from "./store.ts";

/** The stream's state: `live` while connected, `reconnecting` after it dropped. */
export type Connection = "off" | "connecting" | "live" | "reconnecting";

/** The stream's state now, for the top bar and the pages' notices. */
export const connection = signal<Connection>("off");

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;
const HIDDEN_FLUSH_MS = 1000;

let source: EventSource | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let retryMs = RETRY_MIN_MS;
let flushScheduled = false;
const queue = new EventQueue();

function flush(): void {
  flushScheduled = false;
  if (queue.size > 0) fleet.apply(queue.drain());
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  if (document.visibilityState === "hidden") setTimeout(flush, HIDDEN_FLUSH_MS);
  else requestAnimationFrame(flush);
}

function receive(name: LiveEvent["name"], message: MessageEvent<string>): void {
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    console.warn(`corral: a "${name}" event that is not JSON was ignored`);
    return;
  }
  queue.push({ name, data } as LiveEvent);
  // The first state is applied at once: the page has nothing to show until it comes.
  if (name === "fleet" && !fleet.ready.value) flush();
  else scheduleFlush();
}

function open(): void {
  const es = new EventSource("/api/events");
  source = es;
  connection.value = connection.value === "off" ? "connecting" : "reconnecting";
  for (const name of LIVE_EVENT_NAMES) {
    es.addEventListener(name, (message) => receive(name, message as MessageEvent<string>));
  }
  es.onopen = () => {
    connection.value = "live";
    retryMs = RETRY_MIN_MS;
  };
  es.onerror = () => {
    if (source !== es) return;
    connection.value = "reconnecting";
    if (es.readyState !== EventSource.CLOSED) return; // The browser retries by itself.
    es.close();
    source = null;
    void retryAfterRefusal();
  };
}

/** The stream was refused: is the session gone? If not, try again later. */
async function retryAfterRefusal(): Promise<void> {
  if (authState.value?.accounts) {
    try {
      await api<Me>("/api/auth/me");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setMe(null); // The app stops the stream and shows the login page.
        return;
      }
    }
  }
  if (connection.value === "off") return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    if (connection.value !== "off") open();
  }, retryMs);
  retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
}

/** Opens the stream (nothing when it is already open). */
export function startLive(): void {
  if (source || retryTimer) return;
  open();
}

/** Closes the stream and empties the store (at logout). */
export function stopLive(): void {
  source?.close();
  source = null;
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  retryMs = RETRY_MIN_MS;
  connection.value = "off";
  queue.drain();
  fleet.clear();
}
