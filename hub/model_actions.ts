/**
 * The dashboard's model actions on one host: load (warm), unload and delete. Each is the Ollama
 * request an operator would send to the hub's data plane pinned to that host (`X-Corral-Target`),
 * sent through `dataFetch` (the hub's own data-plane app, without API keys), so that it takes the
 * same path, counts and logs as any other request:
 *
 * - load: `POST /api/generate` with `{model, keep_alive?}` and no prompt; Ollama loads the model and
 *   answers `done_reason: "load"` (OLLAMA_API.md §2.1). An embedding model refuses generate
 *   (`"…" does not support generate`), so it gets `POST /api/embed` with no input instead, which
 *   loads it the same way;
 * - unload: the same with `keep_alive: 0`;
 * - delete: `DELETE /api/delete` with `{model}`.
 *
 * A refusal becomes a {@link FleetError} with Ollama's (or the hub's) message and a status that
 * says whose fault it was: 400 a bad request, 404 no such model or host, 503 the host is away or
 * busy, 502 anything else the host answered.
 *
 * @module
 */

import type { ModelActionResult } from "../shared/dashboard.ts";
import { parseGoDuration } from "../shared/duration.ts";
import { FleetError } from "../shared/errors.ts";
import type { HostRecord } from "./host.ts";
import type { Registry } from "./registry.ts";

/** The hub's data plane as a function: a request in, Ollama's answer out. */
export type DataFetch = (request: Request) => Promise<Response>;

/** The origin of requests sent through {@link DataFetch}; they never leave the hub. */
export const DATA_ORIGIN = "http://corral-hub.internal";

/** A data-plane request pinned to one host, with a JSON body. */
export function pinnedRequest(
  hostId: string,
  init: { path: string; method: string; body: unknown; signal?: AbortSignal },
): Request {
  return new Request(`${DATA_ORIGIN}${init.path}`, {
    method: init.method,
    headers: { "content-type": "application/json", "x-corral-target": hostId },
    body: JSON.stringify(init.body),
    signal: init.signal,
  });
}

/** The message of a failed Ollama (or hub data-plane) answer: its JSON `error`, else its text. */
export async function ollamaError(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).trim();
  try {
    const body = JSON.parse(text) as { error?: unknown };
    const error = typeof body.error === "object" && body.error !== null
      ? (body.error as { message?: unknown }).message
      : body.error;
    if (typeof error === "string" && error !== "") return error;
  } catch {
    // Not JSON: the text itself, below.
  }
  return text.slice(0, 500) || `HTTP ${response.status}`;
}

/**
 * The `keep_alive` to send for a dashboard's `keepAlive`: a whole number (`"-1"`, `"300"`) is sent
 * as a JSON number of seconds, since Ollama reads a string as a Go duration and refuses one without
 * a unit; anything else must be a Go duration (`"30m"`, `"1h"`) and is sent as it is.
 *
 * @throws {FleetError} `BAD_REQUEST` for anything else.
 */
export function keepAliveValue(keepAlive: string): string | number {
  const text = keepAlive.trim();
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  try {
    parseGoDuration(text);
  } catch {
    throw new FleetError(
      "BAD_REQUEST",
      `Cannot use keepAlive "${keepAlive}": give a duration such as "30m" or "1h", or "-1" for ever`,
      400,
    );
  }
  return text;
}

/**
 * The host `hostId` (an id, or a name) if the hub can reach its Ollama now; draining and
 * maintenance hosts can be, since pinning is how an admin reaches them.
 *
 * @throws {FleetError} `NOT_FOUND` for an unknown host, `UNAVAILABLE` for one that is away.
 */
export function reachableHost(registry: Registry, hostId: string, doing: string): HostRecord {
  const host = registry.find(hostId);
  if (!host) throw new FleetError("NOT_FOUND", `No host "${hostId}"`, 404);
  const why = host.status === "offline"
    ? "it is offline"
    : !host.route.ollamaReachable
    ? "its Ollama does not answer"
    : null;
  if (why) throw new FleetError("UNAVAILABLE", `Cannot ${doing} on "${host.name}": ${why}`, 503);
  return host;
}

/** Ollama's status, as this control plane answers it. */
function failure(status: number, message: string): FleetError {
  if (status === 400) return new FleetError("BAD_REQUEST", message, 400);
  if (status === 404) return new FleetError("NOT_FOUND", message, 404);
  if (status === 503) return new FleetError("UNAVAILABLE", message, 503);
  return new FleetError("UNAVAILABLE", message, 502);
}

/** What {@link ModelActions} needs. */
export interface ModelActionsOptions {
  registry: Registry;
  dataFetch: DataFetch;
}

/** Load, unload and delete a model on one host, through the hub's data plane. */
export class ModelActions {
  #registry: Registry;
  #fetch: DataFetch;

  /** Creates the actions; nothing runs until one is called. */
  constructor(options: ModelActionsOptions) {
    this.#registry = options.registry;
    this.#fetch = options.dataFetch;
  }

  /** Loads `model` on the host (Ollama's default keep-alive unless `keepAlive` is given). */
  async load(model: string, hostId: string, keepAlive?: string): Promise<ModelActionResult> {
    const body: Record<string, unknown> = { model };
    if (keepAlive !== undefined) body.keep_alive = keepAliveValue(keepAlive);
    return await this.#warm("load", model, hostId, body);
  }

  /** Unloads `model` from the host's memory (it stays on disk). */
  unload(model: string, hostId: string): Promise<ModelActionResult> {
    return this.#warm("unload", model, hostId, { model, keep_alive: 0 });
  }

  /** Loads or unloads through generate, or through embed for a model that cannot generate. */
  async #warm(
    verb: string,
    model: string,
    hostId: string,
    body: Record<string, unknown>,
  ): Promise<ModelActionResult> {
    try {
      return await this.#send(verb, model, hostId, {
        path: "/api/generate",
        method: "POST",
        body: { ...body, stream: false },
      });
    } catch (error) {
      if (!(error instanceof FleetError && /does not support generate/.test(error.message))) {
        throw error;
      }
      return await this.#send(verb, model, hostId, {
        path: "/api/embed",
        method: "POST",
        body: { ...body, input: [] },
      });
    }
  }

  /** Deletes `model` from the host's disk. */
  delete(model: string, hostId: string): Promise<ModelActionResult> {
    const body = { model };
    return this.#send("delete", model, hostId, { path: "/api/delete", method: "DELETE", body });
  }

  async #send(
    verb: string,
    model: string,
    hostId: string,
    init: { path: string; method: string; body: unknown },
  ): Promise<ModelActionResult> {
    const doing = `${verb} "${model}"`;
    const host = reachableHost(this.#registry, hostId, doing);
    const started = performance.now();
    let response: Response;
    try {
      response = await this.#fetch(pinnedRequest(host.id, init));
    } catch (error) {
      throw new FleetError(
        "UNAVAILABLE",
        `Cannot ${doing} on "${host.name}": ${(error as Error)?.message ?? String(error)}`,
        502,
        { cause: error },
      );
    }
    if (!response.ok) {
      const message = await ollamaError(response);
      throw failure(response.status, `Cannot ${doing} on "${host.name}": ${message}`);
    }
    await response.arrayBuffer(); // Ollama answers once the model is loaded, unloaded or deleted.
    return {
      ok: true,
      host: host.id,
      model,
      durationMs: Math.round(performance.now() - started),
    };
  }
}
