/**
 * `/api/pull`, simulated: the manifest, then each layer downloading at the profile's network rate
 * (shared between concurrent downloads), progress every ~60 ms (scaled by `--speed`), then verify,
 * write the manifest, and the model is on disk. Concurrent pulls of one blob share one download,
 * and a download that every client abandons keeps its progress for the next pull to resume.
 *
 * @module
 */

import type { ProgressLine } from "../../shared/ollama.ts";
import type { Clock } from "./clock.ts";
import { SimError } from "./errors.ts";
import { type Profile, specFor } from "./profile.ts";
import { type Layer, libraryLayers, type ModelStore } from "./store.ts";

/** Ollama's progress interval, simulated milliseconds. */
const TICK_MS = 60;

interface Download {
  layer: Layer;
  completed: number;
  subscribers: number;
  running: boolean;
  done: PromiseWithResolvers<void>;
}

/** Options for {@link Puller}. */
export interface PullerOptions {
  profile: Profile;
  store: ModelStore;
  clock: Clock;
  toReal(simMs: number): number;
}

/** Runs pulls against the model store. */
export class Puller {
  #o: PullerOptions;
  #downloads = new Map<string, Download>();
  #stop = new AbortController();

  constructor(options: PullerOptions) {
    this.#o = options;
  }

  /** Stops every download (progress is kept). */
  close(): void {
    this.#stop.abort();
  }

  /** Downloads under way or paused, for the side endpoint. */
  downloads(): { digest: string; total: number; completed: number; active: boolean }[] {
    return [...this.#downloads.values()].map((d) => ({
      digest: d.layer.digest,
      total: d.layer.size,
      completed: d.completed,
      active: d.subscribers > 0,
    }));
  }

  /**
   * Pulls `name` (a display name), yielding Ollama's progress lines.
   *
   * @throws {SimError} After `pulling manifest`, when the registry has no such model.
   */
  async *pull(name: string, signal: AbortSignal): AsyncGenerator<ProgressLine> {
    const { store, clock, toReal } = this.#o;
    yield { status: "pulling manifest" };
    await clock.sleep(toReal(150), signal);
    const spec = specFor(this.#o.profile, name);
    if (!spec) throw new SimError(500, "pull model manifest: file does not exist");
    const layers = libraryLayers(spec);
    for (const layer of layers) {
      const status = `pulling ${layer.digest.slice(7, 19)}`;
      if (store.hasBlob(layer.digest)) {
        yield { status, digest: layer.digest, total: layer.size, completed: layer.size };
        continue;
      }
      const download = this.#join(layer);
      try {
        let last = -1;
        while (download.completed < layer.size) {
          if (download.completed !== last) {
            last = download.completed;
            yield progress(status, layer, download.completed);
          }
          await Promise.race([
            clock.sleep(toReal(TICK_MS), signal),
            download.done.promise,
          ]);
          signal.throwIfAborted();
        }
        yield progress(status, layer, layer.size);
      } finally {
        download.subscribers--;
      }
    }
    yield { status: "verifying sha256 digest" };
    await clock.sleep(toReal(layers[0]!.size / this.#o.profile.diskRead * 1000 / 4), signal);
    yield { status: "writing manifest" };
    const replaced = store.get(spec.name) !== undefined;
    store.put(spec, layers, clock.now());
    if (replaced) yield { status: "removing unused layers" };
    yield { status: "success" };
  }

  #join(layer: Layer): Download {
    let download = this.#downloads.get(layer.digest);
    if (!download) {
      download = {
        layer,
        completed: 0,
        subscribers: 0,
        running: false,
        done: Promise.withResolvers(),
      };
      this.#downloads.set(layer.digest, download);
    }
    download.subscribers++;
    if (!download.running) void this.#run(download);
    return download;
  }

  async #run(download: Download): Promise<void> {
    const { clock, toReal, profile, store } = this.#o;
    download.running = true;
    try {
      while (download.completed < download.layer.size && download.subscribers > 0) {
        await clock.sleep(toReal(TICK_MS), this.#stop.signal);
        const active = [...this.#downloads.values()].filter((d) => d.running).length;
        const bytes = profile.network / Math.max(1, active) * TICK_MS / 1000;
        download.completed = Math.min(download.layer.size, Math.round(download.completed + bytes));
      }
    } catch {
      return; // closed: the partial download stays for a later pull
    } finally {
      download.running = false;
    }
    if (download.completed >= download.layer.size) {
      store.putBlob(download.layer.digest, download.layer.size);
      this.#downloads.delete(download.layer.digest);
      download.done.resolve();
    }
  }
}

function progress(status: string, layer: Layer, completed: number): ProgressLine {
  // Ollama omits `completed` while it is 0.
  return completed === 0
    ? { status, digest: layer.digest, total: layer.size }
    : { status, digest: layer.digest, total: layer.size, completed };
}
