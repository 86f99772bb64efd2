/**
 * `GET /api/events`: the dashboard's live view of the fleet, as server-sent events
 * ({@link LiveEvents} in `shared/dashboard.ts`).
 *
 * 1. A client connects (or reconnects: `Last-Event-ID` changes nothing, the state is small) and
 *    gets `retry: 1000` and the whole {@link FleetState} as `fleet`; it replaces what it had.
 * 2. Changes are collected as they happen: registry events mark a host changed, a removal is
 *    remembered, sparkline points and pull jobs are kept (the latest per job). While clients are
 *    connected, every `flushMs` (250 ms) the feed also looks for what has no event: a host whose
 *    in-flight count moved (the hub's requests starting and ending, or an agent's report), and
 *    the fleet queue's length.
 * 3. A flush turns all that into one chunk, built and encoded once for every client: one `host`
 *    event per changed host with its latest view, `host-removed`, `spark`, `pull`, `queue`. Every
 *    event has an `id:`; a `: ping` comment goes out after 15 s with nothing else, so that proxies
 *    keep the stream open.
 * 4. A client whose stream is backed up (it holds `backlog` chunks it has not taken) gets nothing
 *    more until it drains, then a fresh `fleet` instead of what it missed: the hub never buffers
 *    without bound for a slow reader.
 * 5. A client that goes away is dropped at once; {@link LiveFeed.stop} closes every stream (the
 *    servers' shutdown waits for open responses) and stops the timer.
 *
 * @module
 */

import { Hono } from "hono";
import type { FleetState, LiveEvents, PullJob, SparkPoint } from "../shared/dashboard.ts";
import { FleetError } from "../shared/errors.ts";
import { hostView } from "./host_view.ts";
import type { InFlightTable } from "./in_flight.ts";
import type { PullJobs } from "./pull_jobs.ts";
import type { Registry } from "./registry.ts";
import type { Sparks } from "./sparks.ts";

/** How often changes are sent. */
export const FLUSH_MS = 250;
/** How often a comment keeps an idle stream open. */
export const PING_MS = 15_000;
/** How soon a browser should reconnect (the `retry:` field). */
export const RETRY_MS = 1000;
/** Chunks a client may leave untaken before it is skipped until it drains. */
export const BACKLOG = 8;

/** What {@link LiveFeed} reads. */
export interface LiveFeedOptions {
  registry: Registry;
  inFlight: InFlightTable;
  /** The fleet queue; only its length is read. */
  queue: { readonly size: number };
  sparks: Pick<Sparks, "all" | "onPoint">;
  pulls: Pick<PullJobs, "list" | "subscribe">;
  hub: { name: string; version: string };
  /** @default {FLUSH_MS} */
  flushMs?: number;
  /** @default {PING_MS} */
  pingMs?: number;
  /** @default {BACKLOG} */
  backlog?: number;
  /** @default Date.now */
  now?: () => number;
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  /** Missed events while backed up: gets a fresh `fleet` when it drains. */
  stale: boolean;
  drop(): void;
}

const encoder = new TextEncoder();

/** The live event stream's state and its clients. */
export class LiveFeed {
  #o: Required<Omit<LiveFeedOptions, "hub">> & Pick<LiveFeedOptions, "hub">;
  #clients = new Set<Client>();
  #seq = 0;
  #changed = new Set<string>();
  #removed = new Set<string>();
  #sparks: { id: string; point: SparkPoint }[] = [];
  #pulls = new Map<string, PullJob>();
  /** Each host's in-flight count as last sent, to notice the ones that moved. */
  #inFlightSent = new Map<string, number>();
  #queuedSent = 0;
  #lastPing = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: (() => void)[];
  #stopped = false;

  /** Starts listening to the registry, the sparklines and the pull jobs. */
  constructor(options: LiveFeedOptions) {
    this.#o = {
      ...options,
      flushMs: options.flushMs ?? FLUSH_MS,
      pingMs: options.pingMs ?? PING_MS,
      backlog: options.backlog ?? BACKLOG,
      now: options.now ?? Date.now,
    };
    const { registry, sparks, pulls } = options;
    this.#unsubscribe = [
      registry.subscribe((event) => {
        if (this.#clients.size === 0) return;
        const { id } = event.host;
        if (event.type === "removed") {
          this.#changed.delete(id);
          this.#removed.add(id);
        } else {
          this.#removed.delete(id);
          this.#changed.add(id);
        }
      }),
      sparks.onPoint((id, point) => {
        if (this.#clients.size > 0) this.#sparks.push({ id, point });
      }),
      pulls.subscribe((job) => {
        if (this.#clients.size > 0) this.#pulls.set(job.id, job);
      }),
    ];
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Everything the dashboard needs at once. */
  fleet(): FleetState {
    const { registry, inFlight, sparks, pulls, queue, hub, now } = this.#o;
    return {
      hub: { name: hub.name, version: hub.version },
      time: now(),
      hosts: registry.records().map((host) => hostView(host, inFlight)),
      sparks: sparks.all(),
      pulls: pulls.list(),
      queued: queue.size,
    };
  }

  /**
   * Answers one client with its event stream; the request's signal (the client going away) ends
   * it.
   *
   * @throws {FleetError} `UNAVAILABLE` once the feed is stopped.
   */
  connect(request: Request): Response {
    if (this.#stopped) throw new FleetError("UNAVAILABLE", "The hub is stopping", 503);
    let client!: Client;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const drop = () => {
          request.signal.removeEventListener("abort", close);
          if (!this.#clients.delete(client)) return;
          if (this.#clients.size === 0) this.#idle();
        };
        const close = () => {
          drop();
          try {
            controller.close();
          } catch {
            // Already closed or cancelled.
          }
        };
        client = { controller, stale: false, drop: close };
        if (request.signal.aborted) return controller.close();
        request.signal.addEventListener("abort", close, { once: true });
        if (this.#clients.size === 0) this.#wake();
        this.#clients.add(client);
        controller.enqueue(this.#fleetChunk(`retry: ${RETRY_MS}\n`));
      },
      pull: () => {
        if (client.stale) this.#sendFleet(client);
      },
      cancel: () => client.drop(),
    }, new CountQueuingStrategy({ highWaterMark: this.#o.backlog }));
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  }

  /**
   * Sends what changed since the last flush to every client; the feed's timer calls this every
   * `flushMs` while clients are connected.
   */
  flush(): void {
    if (this.#clients.size === 0) return;
    const { registry, inFlight, queue, now, pingMs } = this.#o;
    for (const host of registry.records()) {
      if (this.#inFlightSent.get(host.id) !== inFlight.total(host.id)) this.#changed.add(host.id);
    }
    let text = "";
    for (const id of this.#removed) {
      this.#inFlightSent.delete(id);
      text += this.#event("host-removed", { id });
    }
    for (const id of this.#changed) {
      const host = registry.get(id);
      if (!host) continue;
      const view = hostView(host, inFlight);
      this.#inFlightSent.set(id, view.inFlight);
      text += this.#event("host", view);
    }
    for (const spark of this.#sparks) text += this.#event("spark", spark);
    for (const job of this.#pulls.values()) text += this.#event("pull", job);
    if (queue.size !== this.#queuedSent) {
      this.#queuedSent = queue.size;
      text += this.#event("queue", { queued: this.#queuedSent });
    }
    this.#changed.clear();
    this.#removed.clear();
    this.#sparks = [];
    this.#pulls.clear();
    if (text === "" && now() - this.#lastPing >= pingMs) text = ": ping\n\n";
    if (text === "") return;
    this.#lastPing = now();
    const chunk = encoder.encode(text);
    for (const client of this.#clients) this.#deliver(client, chunk);
  }

  /** Closes every stream and stops the timer; new clients are refused. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const client of [...this.#clients]) client.drop();
    this.#idle();
  }

  #deliver(client: Client, chunk: Uint8Array): void {
    const room = (client.controller.desiredSize ?? 0) > 0;
    if (client.stale) {
      if (room) this.#sendFleet(client);
    } else if (room) {
      client.controller.enqueue(chunk);
    } else {
      client.stale = true;
    }
  }

  #sendFleet(client: Client): void {
    client.stale = false;
    client.controller.enqueue(this.#fleetChunk(""));
  }

  #fleetChunk(prefix: string): Uint8Array {
    return encoder.encode(prefix + this.#event("fleet", this.fleet()));
  }

  #event<K extends keyof LiveEvents>(name: K, data: LiveEvents[K]): string {
    return `id: ${++this.#seq}\nevent: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  }

  /** The first client came: start noticing changes from the state it is about to get. */
  #wake(): void {
    const { registry, inFlight, queue, now, flushMs } = this.#o;
    this.#inFlightSent.clear();
    for (const host of registry.records()) this.#inFlightSent.set(host.id, inFlight.total(host.id));
    this.#queuedSent = queue.size;
    this.#lastPing = now();
    this.#timer = setInterval(() => this.flush(), flushMs);
  }

  /** The last client left: nothing to collect until the next one. */
  #idle(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#changed.clear();
    this.#removed.clear();
    this.#sparks = [];
    this.#pulls.clear();
    this.#inFlightSent.clear();
  }
}

/** `GET /events` for the control plane (mounted at `/api`). */
export function liveRoutes(feed: LiveFeed): Hono {
  const app = new Hono();
  app.get("/events", (c) => feed.connect(c.req.raw));
  return app;
}
