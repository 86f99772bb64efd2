/**
 * Client mode, for laptops: the agent serves `localhost:11434` like an Ollama would and forwards
 * every request to a hub, found by a signed probe (or named in config), so that every tool on the
 * laptop uses the fleet with no configuration. Bytes stream through unchanged, as in the proxy.
 *
 * When the hub stops answering before the first byte, the hub is looked for again and the request
 * retried once; request bodies are held in memory for that (blob uploads are streamed instead and
 * not retried).
 *
 * @module
 */

import { broadcastAddresses } from "../shared/discovery.ts";
import { findHub, type FoundHub } from "./announce.ts";
import type { AgentConfig } from "./config.ts";
import { forward } from "./forward.ts";
import { localAgentId } from "./identity.ts";
import { type Logger, quiet } from "./log.ts";
import { describe } from "../shared/ollama_convert.ts";
import { importFleetKey, newPacketCounters } from "../shared/discovery.ts";
import { httpUrl } from "../shared/http_url.ts";
import { CORRAL_VERSION } from "../shared/version.ts";

/** How long after a fruitless search requests fail at once instead of searching again. */
const RETRY_SEARCH_MS = 5000;

/** Options for {@link createClientHandler}. */
export interface ClientModeOptions {
  /** A hub named in config; discovery is skipped. */
  hubUrl: string | null;
  /** Added as a bearer token to requests that carry no `Authorization`. */
  apiKey: string | null;
  /** Looks for a hub on the network. */
  discover: () => Promise<FoundHub | null>;
  log?: (message: string) => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The client-mode request handler, and what it knows of its hub. */
export interface ClientHandler {
  /** Forwards `request`; `completed` is `Deno.serve`'s `info.completed` for it. */
  handle(request: Request, completed: Promise<void>): Promise<Response>;
  /** The hub in use, once one is known. */
  hub(): string | null;
}

/** An error in the dialect of the endpoint: OpenAI's envelope under `/v1`, Ollama's elsewhere. */
function failure(path: string, message: string): Response {
  const body = path.startsWith("/v1/")
    ? { error: { message, type: "api_error", param: null, code: "hub_unreachable" } }
    : { error: message };
  return Response.json(body, { status: 502, headers: { "x-corral-error": "HUB_UNREACHABLE" } });
}

/** Creates the handler that forwards everything to a hub. */
export function createClientHandler(options: ClientModeOptions): ClientHandler {
  const { apiKey, discover, log = () => {}, fetch: fetcher } = options;
  let hub: string | null = options.hubUrl;
  let finding: Promise<string | null> | null = null;
  let missedAt = -Infinity;

  const find = (): Promise<string | null> => {
    if (options.hubUrl) return Promise.resolve(options.hubUrl);
    // After a search found nothing, fail fast for a while rather than make every request wait.
    if (performance.now() - missedAt < RETRY_SEARCH_MS) return Promise.resolve(null);
    finding ??= discover().then((found) => {
      finding = null;
      hub = found?.url ?? null;
      if (found) log(`using hub ${found.name} at ${found.url}`);
      else missedAt = performance.now();
      return hub;
    }, (error) => {
      finding = null;
      throw error;
    });
    return finding;
  };

  async function attempt(
    request: Request,
    completed: Promise<void>,
    base: string,
    body: Uint8Array<ArrayBuffer> | null,
  ) {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    if (apiKey && !request.headers.has("authorization")) headers.authorization = `Bearer ${apiKey}`;
    return await forward(request, new URL(url.pathname + url.search, base), {
      completed,
      setHeaders: headers,
      body: body ?? undefined,
      fetch: fetcher,
    });
  }

  return {
    hub: () => hub,
    async handle(request, completed) {
      const path = new URL(request.url).pathname;
      const streamed = path.startsWith("/api/blobs/");
      const body = request.method === "GET" || request.method === "HEAD" || streamed
        ? null
        : new Uint8Array(await request.arrayBuffer());
      let lastError: unknown = null;
      for (let tries = 0; tries < 2; tries++) {
        const base = hub ?? await find();
        if (!base) {
          return failure(
            path,
            "No Corral hub found on the network: is a hub running, with the same fleet key?",
          );
        }
        try {
          return await attempt(request, completed, base, body);
        } catch (error) {
          if (request.signal.aborted) throw error;
          lastError = error;
          log(`hub ${base} failed: ${describe(error)}`);
          hub = null;
          if (options.hubUrl || streamed) break;
        }
      }
      return failure(path, `Cannot reach the Corral hub: ${describe(lastError)}`);
    },
  };
}

/** A running client mode. */
export interface RunningClient extends AsyncDisposable {
  /** Where local Ollama clients connect, e.g. `http://127.0.0.1:11434`. */
  url: string;
  handler: ClientHandler;
  stop(): Promise<void>;
}

/** Options for {@link startClient}. */
export interface StartClientOptions {
  fleetKey: string | null;
  /** @default quiet */
  log?: Logger;
}

/** Serves client mode on `config.client.listen`, finding a hub by probe unless one is named. */
export async function startClient(
  config: AgentConfig,
  options: StartClientOptions,
): Promise<RunningClient> {
  const { fleetKey, log = quiet } = options;
  const key = fleetKey ? await importFleetKey(fleetKey) : null;
  const { listen } = config.client;
  const id = await localAgentId(listen.port);
  // A hub on this very machine answers on loopback; others on the LAN's broadcast addresses.
  const addresses = config.announce.addresses ??
    ["127.255.255.255", ...broadcastAddresses(Deno.networkInterfaces())];
  const packets = newPacketCounters();
  const handler = createClientHandler({
    hubUrl: config.client.hubUrl,
    apiKey: config.client.apiKey,
    discover: () => findHub({ key, port: config.announce.port, addresses, id, counters: packets }),
    log: (message) => log.info(message),
  });
  const server = Deno.serve({
    hostname: listen.hostname,
    port: listen.port,
    onListen: () => {},
  }, (request, info) => handler.handle(request, info.completed));
  const url = httpUrl(listen.hostname, server.addr.port);
  log.info(
    `corral-agent ${CORRAL_VERSION} in client mode: point Ollama clients at ${url}; ` +
      (config.client.hubUrl
        ? `forwarding to ${config.client.hubUrl}`
        : `looking for a hub on UDP ${config.announce.port} via ${addresses.join(", ")}`),
  );
  const stop = () => server.shutdown();
  return { url, handler, stop, [Symbol.asyncDispose]: stop };
}
