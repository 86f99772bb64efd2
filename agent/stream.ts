/**
 * `GET /v1/state/stream`: server-sent events carrying the agent's state to a hub. The first event is
 * the whole snapshot; then a `snapshot` event for each change and a `heartbeat` whenever nothing else
 * was sent for {@link HEARTBEAT_MS}, so a hub that hears nothing for two seconds knows the host is gone.
 *
 * A slow reader never makes the agent queue: when the reader falls behind, intermediate snapshots are
 * skipped and it gets the latest one as soon as it can take it.
 *
 * @module
 */

import { HEARTBEAT_MS, PROTOCOL_VERSION } from "../shared/protocol.ts";
import type { AgentState, Publication } from "./state.ts";

const encoder = new TextEncoder();

function event(name: string, data: string): Uint8Array {
  return encoder.encode(`event: ${name}\ndata: ${data}\n\n`);
}

/** Options for {@link stateStream}. */
export interface StateStreamOptions {
  /** Ends the stream (the client went away or the agent is stopping). */
  signal?: AbortSignal;
  /** @default {HEARTBEAT_MS} */
  heartbeatMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Builds the event-stream response for one subscriber. */
export function stateStream(state: AgentState, options: StateStreamOptions = {}): Response {
  const { signal, heartbeatMs = HEARTBEAT_MS, now = Date.now } = options;
  let lastSeq = 0;
  let lastSentAt = 0;
  let pending: Publication | null = null;
  let unsubscribe = () => {};
  let ticker: ReturnType<typeof setInterval> | undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const send = (publication: Publication) => {
    if (publication.snapshot.seq <= lastSeq) return;
    if ((controller.desiredSize ?? 0) <= 0) {
      pending = publication;
      return;
    }
    pending = null;
    lastSeq = publication.snapshot.seq;
    lastSentAt = now();
    controller.enqueue(event("snapshot", publication.json));
  };
  const stop = () => {
    unsubscribe();
    clearInterval(ticker);
    signal?.removeEventListener("abort", end);
  };
  const end = () => {
    stop();
    try {
      controller.close();
    } catch {
      // Already closed or cancelled.
    }
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      if (signal?.aborted) return end();
      signal?.addEventListener("abort", end, { once: true });
      send(state.current());
      unsubscribe = state.subscribe(send);
      ticker = setInterval(() => {
        if (pending) return send(pending);
        if (now() - lastSentAt < heartbeatMs || (controller.desiredSize ?? 0) <= 0) return;
        lastSentAt = now();
        const beat = JSON.stringify({ v: PROTOCOL_VERSION, seq: lastSeq, time: lastSentAt });
        controller.enqueue(event("heartbeat", beat));
      }, Math.max(50, Math.floor(heartbeatMs / 4)));
    },
    pull() {
      if (pending) send(pending);
    },
    cancel: stop,
  }, { highWaterMark: 2 });

  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}
