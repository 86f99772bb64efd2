/**
 * Helpers for tests that span components: start a simulator on a free port, poll for a condition.
 *
 * @module
 */

import { type SignedIn, signIn } from "../hub/accounts/testing.ts";
import { loadHubConfig } from "../hub/config.ts";
import { type RunningHub, startHub } from "../hub/hub.ts";
import { type ProfileInput, resolveProfile } from "../scripts/sim/profile.ts";
import { type RunningSimulator, startSimulator } from "../scripts/sim/server.ts";

/** Options for {@link startTestSim}. */
export interface TestSimOptions {
  preset?: string;
  /** Profile keys as in YAML (`num_parallel`, `models`, ...). */
  profile?: ProfileInput;
  /** @default 200 */
  speed?: number;
}

/** Starts a simulator on a free loopback port; close it with `await using` or `close()`. */
export function startTestSim(
  options: TestSimOptions = {},
): RunningSimulator & AsyncDisposable {
  const profile = resolveProfile({ preset: options.preset, overrides: options.profile });
  const running = startSimulator({ profile, speed: options.speed ?? 200, port: 0 });
  return { ...running, [Symbol.asyncDispose]: () => running.close() };
}

/** Polls `check` until it returns a value other than `undefined`/`false`, or throws after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 5000,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads the simulator's side-endpoint state. */
export async function simState(url: string): Promise<{
  loading: string | null;
  queued: number;
  loaded: { name: string; in_flight: number; waiting: number; size: number; size_vram: number }[];
}> {
  const response = await fetch(`${url}/_sim/state`);
  return await response.json();
}

/** A port from 30000 to 59999, unlikely to clash with one a parallel test picked. */
export function randomPort(): number {
  return 30_000 + Math.floor(Math.random() * 30_000);
}

/** One server-sent event: its name, its `data` line parsed as JSON, and when it was read. */
export interface ServerSentEvent<T> {
  event: string;
  data: T;
  /** `performance.now()` when the event was complete. */
  at: number;
}

/** Reads a response's server-sent events one at a time; `next()` throws once the stream ends. */
export function readEvents<T = Record<string, unknown>>(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<ServerSentEvent<T>> {
      while (!buffer.includes("\n\n")) {
        const { done, value } = await reader.read();
        if (done) throw new Error("the event stream ended");
        buffer += value;
      }
      const at = performance.now();
      const end = buffer.indexOf("\n\n");
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      return {
        event: /^event: (.*)$/m.exec(block)![1]!,
        data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
        at,
      };
    },
    cancel: () => reader.cancel(),
  };
}

/**
 * Starts a hub from YAML-style settings on free loopback ports, with the fleet key taken from
 * `fleet_key` (or insecure when `insecure: true`); close it with `await using` or `stop()`.
 */
export async function startTestHub(settings: Record<string, unknown>): Promise<RunningHub> {
  const config = loadHubConfig({
    env: {},
    yamlText: JSON.stringify({
      listen: "127.0.0.1:0",
      control_listen: "127.0.0.1:0",
      history: { enabled: false },
      ...settings,
    }),
  });
  return await startHub(config, { fleetKey: config.fleetKey });
}

/**
 * Creates (or resets) the user `admin` with a random password on a hub with history on, once its
 * database is ready, and logs in: the answer's `fetch` carries the session cookie and CSRF token.
 */
export async function loginAdmin(hub: RunningHub): Promise<SignedIn> {
  await waitFor("the hub's database", () => hub.history?.ready() ?? false, 30_000);
  const password = `pw-${crypto.randomUUID()}`;
  await hub.accounts.ensureUser({ username: "admin", password, role: "admin" });
  return await signIn(hub.controlUrl, "admin", password);
}

/** A simulated host running in its own process (`tests/_fleet_host.ts`), to be killed outright. */
export interface FleetHostProcess {
  name: string;
  /** The agent's base URL. */
  url: string;
  /** `SIGKILL`: the agent and its simulated Ollama vanish, connections reset, nothing said. */
  kill(): Promise<void>;
}

/** Starts a simulated host in its own process; resolves when its agent serves. */
export async function spawnFleetHost(
  name: string,
  discoveryPort: number,
  options: {
    fleetKey: string;
    preset?: string;
    speed?: number;
    preload?: string[];
    profile?: Record<string, unknown>;
  },
): Promise<FleetHostProcess> {
  const script = new URL("./_fleet_host.ts", import.meta.url).pathname;
  const args = [
    name,
    options.preset ?? "rtx4090",
    String(discoveryPort),
    String(options.speed ?? 5),
    (options.preload ?? []).join(","),
    JSON.stringify(options.profile ?? {}),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: { CORRAL_FLEET_KEY: options.fleetKey, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`host ${name} exited before it was ready`);
    out += value;
  }
  const ready = /^ready (\S+)/.exec(out);
  if (!ready) throw new Error(`host ${name} said ${JSON.stringify(out)}`);
  let killed = false;
  return {
    name,
    url: ready[1]!,
    async kill() {
      if (killed) return;
      killed = true;
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
    },
  };
}
