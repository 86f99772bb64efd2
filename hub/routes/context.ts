/**
 * What every data-plane route shares: the hub's dependencies, Hono's environment, reading a JSON
 * body as Ollama would, the admin's choice of target host, and asking several hosts at once.
 *
 * @module
 */

import type { Context } from "hono";
import { type Dialect, errorResponse } from "../../shared/dialect.ts";
import { goDecodeError } from "../../shared/go_json.ts";
import { modelKey } from "../../shared/model_name.ts";
import { type ApiKeyEntry, keyAllows, type Keyring } from "../auth.ts";
import type { DispatchDeps } from "../dispatch.ts";
import type { Fleet } from "../fleet.ts";
import type { FleetPolicy } from "../fleet_policy.ts";
import type { HostRecord } from "../host.ts";
import { takesRequests } from "../router.ts";
import { upstreamRequest } from "../dispatch.ts";
import type { RequestTrace } from "../request_trace.ts";

/** The data plane's dependencies. */
export interface HubDeps extends DispatchDeps {
  fleet: Fleet;
  /** The `num_ctx` and `keep_alive` set on native requests that carry none. */
  policy: FleetPolicy;
  /** The client keys; `null` when no key is ever looked at. */
  keyring: Keyring | null;
  /**
   * When the API is open (loopback or `open_api`), a key is not required: a known key is still
   * named in the request log and held to its model allow-list, and anything else (clients that
   * send `apiKey: "any"`) is let through as no key. @default false
   */
  keysOptional?: boolean;
}

/**
 * Hono's environment: `Deno.serve`'s handler info and the request's trace (for the request log)
 * as `c.env`, the client's key as a variable.
 */
export type HubEnv = {
  Bindings: Partial<Pick<Deno.ServeHandlerInfo, "completed"> & { trace: RequestTrace }>;
  Variables: { apiKey: ApiKeyEntry | null };
};

/** A route's context. */
export type HubContext = Context<HubEnv>;

/** When the response will have been sent (or the client gone); immediate outside `Deno.serve`. */
export function completedOf(c: HubContext): Promise<void> {
  return c.env?.completed ?? Promise.resolve();
}

/** The request's trace, when the hub keeps a request log. */
export function traceOf(c: HubContext): RequestTrace | undefined {
  return c.env?.trace;
}

/** A JSON body, as bytes (to send on) and parsed (to read the model from). */
export interface JsonBody {
  bytes: Uint8Array<ArrayBuffer>;
  json: Record<string, unknown>;
}

/**
 * Reads a JSON object body, answering as Ollama does when it is not one: 400 `missing request body`
 * or Go's decoder message.
 */
export async function readJson(request: Request, dialect: Dialect): Promise<JsonBody | Response> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") return errorResponse(dialect, 400, "missing request body");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return errorResponse(dialect, 400, goDecodeError(text, error as SyntaxError));
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return errorResponse(dialect, 400, "request body must be a JSON object");
  }
  return { bytes, json: json as Record<string, unknown> };
}

/** The model a request names (`model`, or the older `name`), with its key; or an error. */
export function requestModel(
  json: Record<string, unknown>,
  dialect: Dialect,
  field: "model" | "model-or-name" = "model-or-name",
): { name: string; key: string } | Response {
  const raw = field === "model" ? json.model : (json.model || json.name);
  if (typeof raw !== "string" || raw === "") {
    return errorResponse(dialect, 400, "model is required");
  }
  const key = modelKey(raw);
  if (!key) return errorResponse(dialect, 400, "invalid model name");
  return { name: raw, key };
}

/** A 403 for a key that may not use a model. */
export function modelForbidden(dialect: Dialect, name: string): Response {
  return errorResponse(dialect, 403, `this API key may not use model "${name}"`);
}

/**
 * Reads a request that names a model: its body, and its model checked against the client key's
 * allow-list; or the error to answer.
 */
export async function readModelRequest(
  c: HubContext,
  dialect: Dialect,
  field: "model" | "model-or-name" = "model-or-name",
): Promise<{ body: JsonBody; model: { name: string; key: string } } | Response> {
  const body = await readJson(c.req.raw, dialect);
  if (body instanceof Response) return body;
  const model = requestModel(body.json, dialect, field);
  if (model instanceof Response) return model;
  const trace = traceOf(c);
  if (trace) trace.model = model.name;
  if (!keyAllows(c.get("apiKey"), model.key)) return modelForbidden(dialect, model.name);
  return { body, model };
}

/** The host an admin named with `?host=` or `X-Corral-Target:` (`all` for every host), if any. */
export function targetOf(c: HubContext): string | null {
  const header = c.req.raw.headers.get("x-corral-target");
  if (header) return header;
  return c.req.url.includes("?") ? c.req.query("host") || null : null;
}

/** The request's path and query for the host, without the hub's own `host` parameter. */
export function upstreamPath(c: HubContext): string {
  if (!c.req.url.includes("?")) return c.req.path;
  const url = new URL(c.req.url);
  url.searchParams.delete("host");
  return url.pathname + url.search;
}

/** Hosts that can take requests now (online or degraded, with a working Ollama). */
export function usableHosts(deps: HubDeps): HostRecord[] {
  return deps.registry.records().filter((h) => takesRequests(h.route));
}

/** One host's answer in a fan-out: its response, or why it gave none. */
export type HostAnswer = { host: HostRecord; response: Response } | {
  host: HostRecord;
  error: string;
};

/** Sends the same request to several hosts at once, each with a time limit. */
export function fanOut(
  deps: HubDeps,
  hosts: readonly HostRecord[],
  init: { path: string; method: string; body?: Uint8Array<ArrayBuffer> | null; timeoutMs?: number },
): Promise<HostAnswer[]> {
  const fetcher = deps.fetch ?? fetch;
  return Promise.all(hosts.map(async (host): Promise<HostAnswer> => {
    const headers = new Headers(init.body ? { "content-type": "application/json" } : {});
    const upstream = upstreamRequest(host, { path: init.path, headers, model: null }, deps.token);
    try {
      const response = await fetcher(upstream.url, {
        method: init.method,
        headers: upstream.headers,
        body: init.body ?? null,
        signal: init.timeoutMs ? AbortSignal.timeout(init.timeoutMs) : undefined,
      });
      return { host, response };
    } catch (error) {
      return { host, error: (error as Error).message };
    }
  }));
}
