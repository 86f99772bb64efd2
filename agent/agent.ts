/**
 * Starts and stops a whole agent from its configuration: the API server, host and GPU sampling, the
 * Ollama poller, the proxy and the announcer. `main.ts` calls it; so do tests, which then talk to a
 * real agent over real sockets.
 *
 * @module
 */

import { broadcastAddresses } from "../shared/discovery.ts";
import { startAnnouncer } from "./announce.ts";
import { createAgentApp } from "./app.ts";
import type { AgentConfig } from "./config.ts";
import { createGpuReader } from "./gpu.ts";
import { createHostSampler, readHostInfo } from "./host.ts";
import { localAgentId } from "./identity.ts";
import { type Logger, quiet } from "./log.ts";
import { startLoop } from "./loop.ts";
import { OllamaClient } from "./ollama.ts";
import { startOllamaPoller } from "./poller.ts";
import { createProxy } from "./proxy.ts";
import { AgentState } from "./state.ts";
import { importFleetKey, newPacketCounters, type PacketCounters } from "../shared/discovery.ts";
import { fleetToken } from "../shared/fleet_key.ts";
import { localUrl } from "../shared/http_url.ts";
import { type HostInfo, OLLAMA_NOT_POLLED } from "../shared/protocol.ts";
import { CORRAL_VERSION } from "../shared/version.ts";

/** Options for {@link startAgent}. */
export interface StartAgentOptions {
  /** The fleet key, already read and checked; `null` runs insecure. */
  fleetKey: string | null;
  /** @default quiet */
  log?: Logger;
  /**
   * What to report instead of this machine's identity: a simulated host (the demo) is its own
   * machine, with its own host name and boot id.
   */
  hostInfo?: Partial<HostInfo>;
}

/** A running agent. */
export interface RunningAgent extends AsyncDisposable {
  /** The API's base URL, e.g. `http://127.0.0.1:11435`. */
  url: string;
  port: number;
  /** The UDP port it listens on for probes. */
  udpPort: number;
  id: string;
  state: AgentState;
  packets: PacketCounters;
  /** Stops announcing, ends state streams, stops serving, and waits for every loop to end. */
  stop(): Promise<void>;
}

/** Starts an agent; resolves once it is serving. */
export async function startAgent(
  config: AgentConfig,
  options: StartAgentOptions,
): Promise<RunningAgent> {
  const { fleetKey, log = quiet } = options;
  const key = fleetKey ? await importFleetKey(fleetKey) : null;
  const token = fleetKey ? await fleetToken(fleetKey) : null;
  const host = { ...await readHostInfo(), ...options.hostInfo };
  const shutdown = new AbortController();
  const proxied = new Map<string, number>();
  const packets = newPacketCounters();
  let announcements = 0;

  // Listen first, so that port 0 resolves before the port is announced.
  let handler: Deno.ServeHandler = () => new Response("Starting", { status: 503 });
  const server = Deno.serve({
    hostname: config.listen.hostname,
    port: config.listen.port,
    onListen: () => {},
  }, (request, info) => handler(request, info));
  const port = server.addr.port;

  const id = config.id ?? await localAgentId(port);
  const name = config.name ?? host.hostname;
  const state = new AgentState({
    agent: { id, name, version: CORRAL_VERSION, port, startedAt: Date.now() },
    host,
    slots: config.slots,
    contextLength: config.ollamaContextLength,
  });

  const sampler = createHostSampler({ disks: config.disks });
  const gpus = createGpuReader({
    source: config.gpus,
    intervalMs: config.sampleIntervalMs,
    simulatorUrl: config.ollamaUrl,
  });
  const sampling = startLoop(async () => {
    const [metrics, report] = await Promise.all([sampler.sample(), gpus.read()]);
    state.setMetrics(metrics);
    state.setGpus(report);
  }, { intervalMs: config.sampleIntervalMs, onError: (e) => log.warn(`sampling: ${e}`) });

  const poller = startOllamaPoller({
    client: new OllamaClient(config.ollamaUrl),
    state,
    intervalMs: config.pollIntervalMs,
  });
  let wasReachable: boolean | null = null;
  const unwatch = state.subscribe(({ snapshot }) => {
    const { reachable, error, version } = snapshot.ollama;
    if (reachable === wasReachable || (!reachable && error === OLLAMA_NOT_POLLED)) return;
    wasReachable = reachable;
    if (reachable) log.info(`Ollama ${version} answers at ${config.ollamaUrl}`);
    else log.warn(`Ollama does not answer: ${error}`);
  });

  const proxy = createProxy({
    ollamaUrl: config.ollamaUrl,
    state,
    counts: proxied,
    onChange: (what) => poller.refresh(what),
  });
  const app = createAgentApp({
    state,
    proxy,
    token,
    shutdown: shutdown.signal,
    counters: () => ({ proxied, packets, announcements, subscribers: state.subscribers }),
  });
  handler = (request, info) => app.fetch(request, info);

  const announcer = startAnnouncer({
    key,
    port: config.announce.port,
    intervalMs: config.announce.intervalMs,
    addresses: config.announce.addresses,
    counters: packets,
    fields: () => ({ id, name, port, version: CORRAL_VERSION, bootId: host.bootId }),
    onSent: () => announcements++,
    log: (message) => log.warn(message),
  });

  const targets = config.announce.addresses ?? broadcastAddresses(Deno.networkInterfaces());
  log.info(
    `corral-agent ${CORRAL_VERSION}: "${name}" (id ${id}) on ${config.listen.hostname}:${port}, ` +
      `Ollama at ${config.ollamaUrl}, announcing on UDP ${announcer.port} to ` +
      `${targets.join(", ") || "nowhere (no IPv4 interface with a broadcast address)"}` +
      (key ? "" : ", UNSIGNED (--insecure)"),
  );

  let stopping: Promise<void> | null = null;
  const stop = () =>
    stopping ??= (async () => {
      await announcer.stop();
      shutdown.abort();
      await server.shutdown();
      unwatch();
      await Promise.all([poller.stop(), sampling.stop()]);
      await gpus.close();
      state.close();
    })();
  return {
    url: localUrl(config.listen.hostname, port),
    port,
    udpPort: announcer.port,
    id,
    state,
    packets,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
