/**
 * The agent's client for its local Ollama: `/api/version`, `/api/tags` and `/api/ps`, converted to
 * our protocol's types by `shared/ollama_convert.ts`.
 *
 * @module
 */

import type { ListModel, ProcessModel } from "../shared/ollama.ts";
import { describe, toDiskModel, toLoadedModel } from "../shared/ollama_convert.ts";
import type { DiskModel, LoadedModel } from "../shared/protocol.ts";

/** Options for {@link OllamaClient}. */
export interface OllamaClientOptions {
  /** Each call gives up after this long. @default 3000 */
  timeoutMs?: number;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A small typed client for the three read-only endpoints the agent polls. */
export class OllamaClient {
  #base: string;
  #timeoutMs: number;
  #fetch: typeof fetch;

  /** Creates a client for the Ollama at `baseUrl` (e.g. `http://127.0.0.1:11434`). */
  constructor(baseUrl: string, options: OllamaClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, "");
    this.#timeoutMs = options.timeoutMs ?? 3000;
    this.#fetch = options.fetch ?? fetch;
  }

  /** `GET /api/version`. */
  async version(): Promise<string> {
    const body = await this.#get<{ version?: unknown }>("/api/version");
    if (typeof body.version !== "string") throw new TypeError("/api/version: no version string");
    return body.version;
  }

  /** `GET /api/tags`: the models on disk. */
  async tags(): Promise<DiskModel[]> {
    const body = await this.#get<{ models?: ListModel[] }>("/api/tags");
    return (body.models ?? []).map(toDiskModel);
  }

  /** `GET /api/ps`: the models in memory. */
  async ps(): Promise<LoadedModel[]> {
    const body = await this.#get<{ models?: ProcessModel[] }>("/api/ps");
    return (body.models ?? []).map(toLoadedModel);
  }

  async #get<T>(path: string): Promise<T> {
    let response: Response;
    try {
      response = await this.#fetch(this.#base + path, {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new Error(`Cannot reach Ollama at ${this.#base}: ${describe(error)}`, { cause: error });
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`Ollama answered ${path} with HTTP ${response.status}`);
    }
    return await response.json() as T;
  }
}
