/**
 * The agent's client for its local Ollama: `/api/version`, `/api/tags` and `/api/ps`, converted to
 * our protocol's types by `shared/ollama_convert.ts`, and `/api/show` for each model's shape.
 *
 * @module
 */

import type { ListModel, ProcessModel, ShowResponse } from "../shared/ollama.ts";
import { describe, toDiskModel, toLoadedModel } from "../shared/ollama_convert.ts";
import type { DiskModel, LoadedModel } from "../shared/protocol.ts";

/** Options for {@link OllamaClient}. */
export interface OllamaClientOptions {
  /** Each call gives up after this long. @default 3000 */
  timeoutMs?: number;
  /** For tests. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** A small typed client for the read-only endpoints the agent polls. */
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
    const body = await this.#request<{ version?: unknown }>("/api/version");
    if (typeof body.version !== "string") throw new TypeError("/api/version: no version string");
    return body.version;
  }

  /** `GET /api/tags`: the models on disk. */
  async tags(): Promise<DiskModel[]> {
    const body = await this.#request<{ models?: ListModel[] }>("/api/tags");
    return (body.models ?? []).map(toDiskModel);
  }

  /** `GET /api/ps`: the models in memory. */
  async ps(): Promise<LoadedModel[]> {
    const body = await this.#request<{ models?: ProcessModel[] }>("/api/ps");
    return (body.models ?? []).map(toLoadedModel);
  }

  /** `POST /api/show`: one model's details, `model_info` and capabilities. */
  async show(name: string, options: { verbose?: boolean } = {}): Promise<ShowResponse> {
    const body = JSON.stringify(options.verbose ? { model: name, verbose: true } : { model: name });
    return await this.#request<ShowResponse>("/api/show", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
  }

  async #request<T>(path: string, init: RequestInit = {}): Promise<T> {
    let response: Response;
    try {
      response = await this.#fetch(this.#base + path, {
        ...init,
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
