/**
 * A whole fleet on one machine: N simulated Ollama hosts, each behind a real agent, and a hub
 * that finds the agents by their signed UDP announcements on 127.255.255.255. The hosts differ in
 * GPUs and in models on disk and loaded, so that routing is visible. Used by `deno task demo`, the
 * benchmarks and the end-to-end tests.
 *
 * @module
 */

import { type AgentConfig, loadAgentConfig } from "../agent/config.ts";
import { type RunningAgent, startAgent } from "../agent/agent.ts";
import { type HubConfig, loadHubConfig } from "../hub/config.ts";
import type { RouteFn } from "../hub/dispatch.ts";
import { type RunningHub, startHub } from "../hub/hub.ts";
import type { Logger } from "../hub/log.ts";
import { resolveProfile } from "./sim/profile.ts";
import { type RunningSimulator, startSimulator } from "./sim/server.ts";

/** One simulated machine in the demo line-up. */
export interface DemoHostSpec {
  name: string;
  preset: string;
  /** Models loaded at start. */
  preload: string[];
  /** Models on disk (replaces the preset's), when given. */
  models?: string[];
  /** More simulator profile settings, as YAML keys (`num_parallel`, `reply_tokens`, ...). */
  profile?: Record<string, unknown>;
  /** The simulated machine's boot id. @default a new one each start */
  bootId?: string;
}

/** The line-up: different GPUs, overlapping models, some loaded, so every routing rule shows. */
export const DEMO_HOSTS: readonly DemoHostSpec[] = [
  { name: "gpu-4090", preset: "rtx4090", preload: ["llama3.2:3b"] },
  { name: "gpu-3090x2", preset: "dual-3090", preload: ["qwen3:8b"] },
  { name: "gpu-a100", preset: "a100", preload: ["qwen3:30b"] },
  { name: "gpu-3060", preset: "rtx3060", preload: [] },
  { name: "gpu-l4", preset: "l4", preload: ["qwen3:8b"] },
  { name: "cpu-box", preset: "cpu", preload: ["llama3.2:1b"] },
];

/** Options for {@link startDemoFleet}. */
export interface DemoFleetOptions {
  /** How many hosts (cycles through {@link DEMO_HOSTS}). @default 4 */
  hosts?: number;
  /** Or exactly these hosts. */
  specs?: readonly DemoHostSpec[];
  /** The hub's data-plane port. @default 0 (any free port) */
  port?: number;
  /** The hub's control-plane port. @default 0 */
  controlPort?: number;
  /** The UDP discovery port, shared by the hub and the agents. @default a random high port */
  discoveryPort?: number;
  /** How many times faster than real hardware the simulators run. @default 1 */
  speed?: number;
  fleetKey?: string;
  /** Extra hub settings, as YAML keys; history is off unless they turn it on. */
  hub?: Record<string, unknown>;
  /** Another routing decision for the hub (the routing benchmark's baselines). @default the hub's */
  route?: RouteFn;
  /** Wait for every host to be online at the hub. @default true */
  waitOnline?: boolean;
  log?: Logger;
}

/** One running host: its simulator and its agent. */
export interface DemoHost {
  spec: DemoHostSpec;
  sim: RunningSimulator;
  agent: RunningAgent;
}

/** A running demo fleet. */
export interface DemoFleet extends AsyncDisposable {
  hub: RunningHub;
  hosts: DemoHost[];
  fleetKey: string;
  discoveryPort: number;
  /** Starts one more host (it announces itself and joins). */
  addHost(spec: DemoHostSpec): Promise<DemoHost>;
  stop(): Promise<void>;
}

/** The default demo fleet key: fine for a demo on loopback, never for a real fleet. */
export const DEMO_FLEET_KEY = "corral-demo-fleet-key-not-secret";

function agentConfig(
  sim: RunningSimulator,
  spec: DemoHostSpec,
  discoveryPort: number,
): AgentConfig {
  return loadAgentConfig({
    env: {},
    flags: {
      name: spec.name,
      id: `demo-${spec.name}`,
      listen: "127.0.0.1:0",
      ollama: sim.url,
      slots: String(sim.sim.profile.numParallel),
      "ollama-context-length": String(sim.sim.profile.contextLength),
      gpus: "simulator",
      "sample-interval": "500ms",
      "poll-interval": "250ms",
      "announce-port": String(discoveryPort),
      "announce-interval": "2s",
      "announce-to": ["127.255.255.255"],
      disk: ["/"],
      insecure: true,
    },
  });
}

/** Starts one simulated host: a simulator with the spec's models, and a real agent before it. */
export async function startDemoHost(
  spec: DemoHostSpec,
  options: {
    discoveryPort: number;
    speed: number;
    fleetKey: string;
    preloadNumCtx?: number | null;
  },
): Promise<DemoHost> {
  const overrides: Record<string, unknown> = { ...spec.profile, preload: spec.preload };
  if (spec.models) overrides.models = spec.models;
  const profile = resolveProfile({ preset: spec.preset, overrides });
  const sim = startSimulator({ profile, speed: options.speed, port: 0 });
  // Preloaded as the hub would load them: with its context policy, if it has one.
  await sim.sim.preload(options.preloadNumCtx ? { num_ctx: options.preloadNumCtx } : {});
  const config = agentConfig(sim, spec, options.discoveryPort);
  // Each simulated host is its own machine: its own host name, and a boot id per boot (a host
  // stopped and started again has rebooted, as far as the hub can tell).
  const agent = await startAgent({ ...config, insecure: false }, {
    fleetKey: options.fleetKey,
    hostInfo: { hostname: spec.name, bootId: spec.bootId ?? crypto.randomUUID() },
  });
  return { spec, sim, agent };
}

/** Starts the simulators, their agents and the hub. */
export async function startDemoFleet(options: DemoFleetOptions = {}): Promise<DemoFleet> {
  const speed = options.speed ?? 1;
  const fleetKey = options.fleetKey ?? DEMO_FLEET_KEY;
  const discoveryPort = options.discoveryPort ?? 40_000 + Math.floor(Math.random() * 20_000);
  const count = options.hosts ?? 4;
  const specs = options.specs ??
    Array.from({ length: count }, (_, i) => {
      const base = DEMO_HOSTS[i % DEMO_HOSTS.length]!;
      const round = Math.floor(i / DEMO_HOSTS.length);
      return round === 0 ? base : { ...base, name: `${base.name}-${round + 1}` };
    });
  const hosts: DemoHost[] = [];

  const addHost = async (spec: DemoHostSpec): Promise<DemoHost> => {
    const preloadNumCtx = hubConfig.routing.numCtx;
    const host = await startDemoHost(spec, { discoveryPort, speed, fleetKey, preloadNumCtx });
    hosts.push(host);
    return host;
  };

  const hubConfig: HubConfig = loadHubConfig({
    env: {},
    yamlText: JSON.stringify({
      name: "demo-hub",
      fleet_key: fleetKey,
      listen: `127.0.0.1:${options.port ?? 0}`,
      control_listen: `127.0.0.1:${options.controlPort ?? 0}`,
      discovery: { port: discoveryPort, probe_to: ["127.255.255.255"] },
      history: { enabled: false },
      ...options.hub,
    }),
  });
  const hub = await startHub(hubConfig, { fleetKey, log: options.log, route: options.route });
  let stopped: Promise<void> | null = null;
  const stop = () =>
    stopped ??= (async () => {
      await hub.stop();
      await Promise.all(hosts.map(async (h) => {
        await h.agent.stop();
        await h.sim.close();
      }));
    })();
  try {
    await Promise.all(specs.map(addHost));
    if (options.waitOnline ?? true) await waitOnline(hub, hosts.length);
  } catch (error) {
    await stop();
    throw error;
  }
  return { hub, hosts, fleetKey, discoveryPort, addHost, stop, [Symbol.asyncDispose]: stop };
}

/** Waits until `count` hosts are online at the hub (at most 10 s). */
export async function waitOnline(
  hub: RunningHub,
  count: number,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (hub.registry.records().filter((h) => h.status === "online").length < count) {
    if (Date.now() > deadline) {
      const seen = hub.registry.records().map((h) => `${h.name}: ${h.status}`).join(", ");
      throw new Error(
        `Timed out waiting for ${count} hosts online; the hub sees ${seen || "none"}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
