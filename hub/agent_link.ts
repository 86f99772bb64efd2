/**
 * The hub's link to one agent: holds `GET /v1/state/stream` open with the fleet token, hands each
 * `snapshot` and `heartbeat` to its owner, and reports the agent lost when the stream ends, fails,
 * or stays silent longer than `offlineAfterMs` (the agent sends something every second). It then
 * reconnects with a backoff that doubles from 250 ms to 5 s, until stopped.
 *
 * @module
 */

import { describe } from "../shared/ollama_convert.ts";
import { type AgentSnapshot, PROTOCOL_VERSION } from "../shared/protocol.ts";

/** Options for {@link startAgentLink}. */
export interface AgentLinkOptions {
  /** The agent's API, e.g. `http://10.0.0.5:11435`. */
  url: string;
  /** `Authorization: Bearer` value (`fleetToken()`), or `null` in insecure mode. */
  token: string | null;
  /** Silence after which the agent is reported lost. */
  offlineAfterMs: number;
  onSnapshot(snapshot: AgentSnapshot): void;
  onHeartbeat(): void;
  /** The stream ended, failed or went silent; `reason` is short and has no secrets. */
  onLost(reason: string): void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A running link; `stop()` closes the stream and stops reconnecting. */
export interface AgentLink {
  readonly url: string;
  stop(): void;
}

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

/** Splits a text/event-stream body into events: `{ event, data }`, comments and ids ignored. */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  let buffer = "";
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length > 0) yield { event, data: data.join("\n") };
    }
  }
}

/** Opens the state stream and keeps it open. */
export function startAgentLink(options: AgentLinkOptions): AgentLink {
  const { url, token, offlineAfterMs, fetch: fetcher = fetch } = options;
  let stopped = false;
  let current: AbortController | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let backoff = MIN_BACKOFF_MS;

  const connectOnce = async (): Promise<string> => {
    const abort = new AbortController();
    current = abort;
    let silence: ReturnType<typeof setTimeout> | undefined;
    let silent = false;
    const arm = () => {
      clearTimeout(silence);
      silence = setTimeout(() => {
        silent = true;
        abort.abort();
      }, offlineAfterMs);
    };
    arm();
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (token) headers.authorization = `Bearer ${token}`;
      const response = await fetcher(`${url}/v1/state/stream`, { headers, signal: abort.signal });
      if (!response.ok) {
        await response.body?.cancel();
        return response.status === 401
          ? "the agent refused the fleet token (different fleet key?)"
          : `the agent answered HTTP ${response.status}`;
      }
      for await (const { event, data } of serverSentEvents(response.body!)) {
        arm();
        if (event === "snapshot") {
          const snapshot = JSON.parse(data) as AgentSnapshot;
          if (snapshot.v !== PROTOCOL_VERSION) {
            return `the agent speaks protocol ${snapshot.v}, this hub ${PROTOCOL_VERSION}`;
          }
          backoff = MIN_BACKOFF_MS;
          options.onSnapshot(snapshot);
        } else if (event === "heartbeat") {
          options.onHeartbeat();
        }
      }
      return "the state stream ended";
    } catch (error) {
      if (silent) return `no word for ${offlineAfterMs} ms`;
      if (stopped) return "stopped";
      return `state stream failed: ${describe(error)}`;
    } finally {
      clearTimeout(silence);
      abort.abort();
    }
  };

  const loop = async () => {
    while (!stopped) {
      const reason = await connectOnce();
      if (stopped) return;
      options.onLost(reason);
      await new Promise<void>((resolve) => {
        retry = setTimeout(resolve, backoff);
      });
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
  };
  loop();

  return {
    url,
    stop() {
      stopped = true;
      clearTimeout(retry);
      current?.abort();
    },
  };
}
