/**
 * `/ollama/*`: the agent's proxy to its local Ollama. Hubs send every request for this host here;
 * the agent counts it in flight for its model while it runs, and streams the answer back unchanged.
 *
 * The model is taken from the `X-Corral-Model` header when the hub sends one (so the body streams
 * through untouched), else from the JSON body (`model`, or the legacy `name`). Blob uploads are
 * streamed without reading them.
 *
 * @module
 */

import { FleetError } from "../shared/errors.ts";
import { normalizeModelName } from "../shared/model_name.ts";
import { forward } from "./forward.ts";
import { describe } from "../shared/ollama_convert.ts";
import type { AgentState } from "./state.ts";

/** Endpoints after which the models on disk may have changed. */
const CHANGES_DISK = ["/api/pull", "/api/push", "/api/create", "/api/copy", "/api/delete"];

/** Options for {@link createProxy}. */
export interface ProxyOptions {
  ollamaUrl: string;
  state: AgentState;
  /** Called when a request may have changed what Ollama has on disk or in memory. */
  onChange?: (what: "disk" | "memory") => void;
  /** Proxied requests, by endpoint and status, for `/metrics`. */
  counts?: Map<string, number>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The largest JSON body read to find the model; larger ones stream through uncounted by model. */
const MAX_PEEK_BYTES = 64 * 1024 * 1024;

/**
 * Reads the request body (small JSON for every endpoint but blob uploads; sending it in one piece is
 * also faster than streaming it) and finds the model it names.
 */
async function readRequest(
  request: Request,
): Promise<{ model: string; body: Uint8Array<ArrayBuffer> | undefined }> {
  if (request.method !== "POST" && request.method !== "DELETE") {
    return { model: "", body: undefined };
  }
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_PEEK_BYTES) return { model: "", body: undefined };
  const body = new Uint8Array(await request.arrayBuffer());
  const hint = request.headers.get("x-corral-model");
  if (hint) return { model: hint, body };
  try {
    // Ollama reads JSON whatever the Content-Type says (curl -d sends a form type), and so do we.
    const parsed = JSON.parse(new TextDecoder().decode(body));
    const model = typeof parsed?.model === "string"
      ? parsed.model
      : typeof parsed?.name === "string"
      ? parsed.name
      : "";
    return { model, body };
  } catch {
    // Not JSON: Ollama will say so in its own words.
    return { model: "", body };
  }
}

/** The path as a metric label: digests and ids replaced, so that labels stay few. */
function route(path: string): string {
  if (path.startsWith("/api/blobs/")) return "/api/blobs/:digest";
  if (path.startsWith("/v1/models/")) return "/v1/models/:id";
  return path;
}

/** Handles one `/ollama/*` request; `completed` is `Deno.serve`'s `info.completed` for it. */
export type ProxyHandler = (request: Request, completed: Promise<void>) => Promise<Response>;

/** Creates the handler for `/ollama/*` requests. */
export function createProxy(options: ProxyOptions): ProxyHandler {
  const { ollamaUrl, state, onChange = () => {}, counts, fetch: fetcher } = options;
  const base = new URL(ollamaUrl);
  const host = base.host;
  const count = (key: string) => counts?.set(key, (counts.get(key) ?? 0) + 1);

  return async function proxy(request, completed) {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/ollama/, "") || "/";
    const target = new URL(path + url.search, base);
    const isBlob = path.startsWith("/api/blobs/");
    const { model, body } = isBlob ? { model: "", body: undefined } : await readRequest(request);
    const end = model ? state.begin(model) : () => {};
    let response: Response;
    try {
      response = await forward(request, target, {
        completed,
        // Ollama bound to loopback refuses requests whose Host is not local.
        setHeaders: { host },
        // The fleet token is for the agent only.
        dropHeaders: ["authorization", "x-corral-model"],
        body,
        fetch: fetcher,
        onEnd: () => {
          end();
          if (CHANGES_DISK.includes(path)) onChange("disk");
        },
      });
    } catch (error) {
      count(`${route(path)} 502`);
      if (request.signal.aborted) throw error;
      throw new FleetError(
        "OLLAMA_UNREACHABLE",
        `Cannot reach the local Ollama at ${base.origin}: ${describe(error)}`,
        502,
        { cause: error },
      );
    }
    count(`${route(path)} ${response.status}`);
    // A model that was not in memory has just been loaded to answer this: say so at once.
    const name = model && (normalizeModelName(model) ?? model);
    if (name && !state.ollama.loaded.some((m) => m.name === name)) onChange("memory");
    return response;
  };
}
