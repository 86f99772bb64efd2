/**
 * The hub's link to a plain Ollama server that runs no agent: it polls `/api/ps` every second and
 * `/api/tags` and `/api/version` every ten (or at once when `/api/ps` changed), and assembles a
 * snapshot from them so that the registry and the router treat the server like any host, only
 * with fewer metrics (no GPUs, CPU, memory or disks: the view then assumes nothing fits). Each model
 * on disk gets its shape from `/api/show` as the agent's do (`ShapeCache`: once per digest, four
 * at a time; a failed read stays `null` until the next tags read).
 *
 * @module
 */

import type { ListModel, ProcessModel } from "../shared/ollama.ts";
import { describe, ShapeCache, toDiskModel, toLoadedModel } from "../shared/ollama_convert.ts";
import {
  type AgentSnapshot,
  type DiskModel,
  EMPTY_METRICS,
  type LoadedModel,
  PROTOCOL_VERSION,
} from "../shared/protocol.ts";

/** Options for {@link startOllamaLink}. */
export interface OllamaLinkOptions {
  id: string;
  name: string;
  /** The Ollama's base URL, e.g. `http://10.0.0.9:11434`. */
  url: string;
  slots: number;
  /** Its `OLLAMA_CONTEXT_LENGTH`; 0 when Ollama picks by VRAM. @default 0 */
  contextLength?: number;
  /** @default 1000 */
  psEveryMs?: number;
  /** @default 10000 */
  tagsEveryMs?: number;
  onSnapshot(snapshot: AgentSnapshot): void;
  onLost(reason: string): void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default Date.now */
  now?: () => number;
}

/** A running link; `stop()` ends the polling. `refresh()` polls everything now. */
export interface OllamaLink {
  readonly url: string;
  refresh(): void;
  stop(): void;
}

/** The identifier the hub gives a plain Ollama: its URL's host and port. */
export function ollamaHostId(url: string): string {
  return `ollama:${new URL(url).host}`;
}

/** Polls a plain Ollama. */
export function startOllamaLink(options: OllamaLinkOptions): OllamaLink {
  const { url, fetch: fetcher = fetch, now = Date.now } = options;
  const base = url.replace(/\/+$/, "");
  const psEveryMs = options.psEveryMs ?? 1000;
  const tagsEveryMs = options.tagsEveryMs ?? 10_000;
  const startedAt = now();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let seq = 0;
  let up = false;
  let version: string | null = null;
  let models: DiskModel[] = [];
  let loaded: LoadedModel[] = [];
  let lastPs = "";
  let tagsAt = 0;

  const get = async <T>(path: string, body?: unknown): Promise<T> => {
    const init = body === undefined ? {} : { method: "POST", body: JSON.stringify(body) };
    const response = await fetcher(base + path, { ...init, signal: AbortSignal.timeout(3000) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`HTTP ${response.status} from ${path}`);
    }
    return await response.json() as T;
  };
  const shapes = new ShapeCache((model, verbose) =>
    get("/api/show", verbose ? { model, verbose } : { model })
  );

  const snapshot = (): AgentSnapshot => {
    const hostname = new URL(base).hostname;
    return {
      v: PROTOCOL_VERSION,
      seq: ++seq,
      time: now(),
      agent: { id: options.id, name: options.name, version: "", port: 0, startedAt },
      host: { hostname, os: "", kernel: "", arch: "", cpuModel: null, bootId: "" },
      metrics: { ...EMPTY_METRICS },
      gpus: { source: "none", gpus: [], error: null },
      ollama: {
        reachable: true,
        version,
        error: null,
        models,
        loaded,
        slots: options.slots,
        contextLength: options.contextLength ?? 0,
      },
      inFlight: {},
    };
  };

  const poll = async () => {
    try {
      const ps = await get<{ models?: ProcessModel[] }>("/api/ps");
      const psText = JSON.stringify((ps.models ?? []).map((m) => [m.name, m.size_vram]));
      const changed = psText !== lastPs || !up;
      loaded = (ps.models ?? []).map(toLoadedModel);
      if (changed || now() - tagsAt >= tagsEveryMs) {
        const [tags, v] = await Promise.all([
          get<{ models?: ListModel[] }>("/api/tags"),
          get<{ version?: string }>("/api/version"),
        ]);
        models = await shapes.fill((tags.models ?? []).map(toDiskModel));
        version = typeof v.version === "string" ? v.version : null;
        tagsAt = now();
      }
      lastPs = psText;
      up = true;
      if (!stopped) options.onSnapshot(snapshot());
    } catch (error) {
      if (stopped) return;
      if (up || seq === 0) options.onLost(`Ollama does not answer: ${describe(error)}`);
      up = false;
      seq = Math.max(seq, 1);
    }
  };

  const loop = async () => {
    while (!stopped) {
      await poll();
      if (stopped) return;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, psEveryMs);
      });
    }
  };
  loop();

  return {
    url: base,
    refresh() {
      tagsAt = 0;
      lastPs = "";
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
