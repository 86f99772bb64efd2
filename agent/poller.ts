/**
 * Watches the local Ollama: `/api/ps` at every poll (about once a second: cheap, in memory), and
 * `/api/tags` and `/api/version` less often (tags reads every manifest from disk) or at once when
 * something suggests they changed: Ollama came back, a model is loaded that is not on the list, or
 * a pull, create, copy or delete went through the proxy. After each tags read, the models whose
 * digest is new get their shape from `/api/show` (`ShapeCache`: four at a time; one that fails is
 * `shape: null` until the next tags read tries again).
 *
 * @module
 */

import { ShapeCache } from "../shared/ollama_convert.ts";
import type { DiskModel } from "../shared/protocol.ts";
import { startLoop } from "./loop.ts";
import type { OllamaClient } from "./ollama.ts";
import type { AgentState } from "./state.ts";

/** Options for {@link startOllamaPoller}. */
export interface OllamaPollerOptions {
  client: OllamaClient;
  state: AgentState;
  /** @default 1000 */
  intervalMs?: number;
  /** Re-read the models on disk at least this often. @default 15_000 */
  tagsEveryMs?: number;
  /** Re-read the version at least this often. @default 60_000 */
  versionEveryMs?: number;
  onError?: (error: unknown) => void;
}

/** The running poller. */
export interface OllamaPoller {
  /** Polls now; `disk` also re-reads the models on disk. */
  refresh(what: "disk" | "memory"): void;
  /** The poll in progress, if any, is awaited. */
  stop(): Promise<void>;
}

/** Starts polling the local Ollama and feeding what it says into `state`. */
export function startOllamaPoller(options: OllamaPollerOptions): OllamaPoller {
  const { client, state } = options;
  const { intervalMs = 1000, tagsEveryMs = 15_000, versionEveryMs = 60_000 } = options;
  let models: DiskModel[] = [];
  let version: string | null = null;
  let tagsAt = -Infinity;
  let versionAt = -Infinity;
  let wantTags = true;
  let reachable = false;
  const shapes = new ShapeCache((name, verbose) => client.show(name, { verbose }));

  async function poll(): Promise<void> {
    const now = performance.now();
    try {
      const loaded = await client.ps();
      const known = new Set(models.map((m) => m.name));
      if (!reachable || loaded.some((m) => !known.has(m.name))) wantTags = true;
      const [tags, v] = await Promise.all([
        wantTags || now - tagsAt >= tagsEveryMs ? client.tags() : null,
        !reachable || now - versionAt >= versionEveryMs ? client.version() : null,
      ]);
      if (tags) {
        models = await shapes.fill(tags);
        tagsAt = now;
        wantTags = false;
      }
      if (v) {
        version = v;
        versionAt = now;
      }
      reachable = true;
      state.setOllama({ reachable, version, error: null, models, loaded });
    } catch (error) {
      reachable = false;
      const message = error instanceof Error ? error.message : String(error);
      // What is on disk survives Ollama being down; what was in memory does not.
      state.setOllama({ reachable, version, error: message, models, loaded: [] });
    }
  }

  const loop = startLoop(poll, { intervalMs, onError: options.onError ?? (() => {}) });
  return {
    refresh(what) {
      if (what === "disk") wantTags = true;
      loop.kick();
    },
    stop: () => loop.stop(),
  };
}
