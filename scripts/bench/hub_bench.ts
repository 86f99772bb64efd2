/**
 * The hub against its targets: "the hub alone adds at most 1 ms p50 and 5 ms p99 at concurrency
 * 16; streams add at most 2 ms to the first byte and never coalesce lines; the hub is within 2× of
 * nginx's added latency."
 *
 * Four paths to the same simulator, measured side by side in one run:
 *
 * 1. direct: client → simulator;
 * 2. hub+agent: client → hub → agent → simulator (the normal fleet path);
 * 3. hub: client → hub → simulator, configured as a plain Ollama (`ollama:` in the hub's config);
 * 4. nginx: client → nginx → simulator (Debian's package, `proxy_pass` to a keep-alive upstream).
 *
 * Every server runs in its own process (the simulator as `deno task sim`, the agent from source
 * under the Deno flags of its systemd unit, each hub as `deno run -A hub/main.ts --config …`), and
 * the load generator in this one, so that the client's JavaScript never shares a thread with a
 * server's. Latency is measured at zero think time (`--speed 1e9`); streams on a second set of the
 * same servers in front of a simulator at real speed, where tokens come a few ms apart.
 *
 * @module
 */

import { fleetToken } from "../../shared/fleet_key.ts";
import {
  type Child,
  clockTicksPerSecond,
  freeTcpPort,
  installedDenoFlags,
  median,
  readCpuTicks,
  sleep,
  spawn,
  startAgent,
  type StreamTiming,
  timedPost,
  timeStream,
} from "./agent_bench.ts";
import { quantile, runLoad } from "./load.ts";
import { findNginx, nginxVersionOf, startNginx } from "./nginx.ts";
import { spawnSim } from "./sim_bench.ts";

/** What {@link hubBench} measures over. */
export interface HubBenchOptions {
  /** Requests per path at each concurrency, spread over alternating rounds. */
  requests: number;
  /** Streamed generates per path; 0 skips the stream check. */
  streams: number;
}

/** The defaults of `deno task bench`. */
export const HUB_BENCH_DEFAULTS: HubBenchOptions = { requests: 4000, streams: 20 };

/** The targets the report checks. */
export const HUB_TARGETS = {
  /** Hub alone over direct at concurrency 16, ms. */
  p50DeltaMs: 1,
  p99DeltaMs: 5,
  /** First NDJSON line over direct, ms. */
  firstLineDeltaMs: 2,
  /** The hub's added latency over nginx's, at most this factor. */
  nginxFactor: 2,
} as const;

const ROOT = new URL("../../", import.meta.url);
const MODEL = "llama3.2:3b";
const SLOTS = 128;
const CONCURRENCIES = [1, 16, 128];
const ROUNDS = 4;
const STREAM_TOKENS = 100;
type PathName = "direct" | "hub+agent" | "hub" | "nginx";

/** One way to the simulator, and the processes that do its proxying (for CPU time). */
interface BenchPath {
  name: PathName;
  /** The `/api/generate` URL. */
  url: string;
  proxyPids(): Promise<number[]>;
}

/** The four paths in front of one simulator. */
interface Stack {
  paths: BenchPath[];
  stop(): Promise<void>;
}

/** Starts a hub as `deno run -A hub/main.ts --config <file>`, waits until its one host is ready. */
export async function startHubProcess(
  dir: string,
  name: string,
  hosts: Record<string, unknown>,
  key: string,
): Promise<{ child: Child; url: string }> {
  const port = freeTcpPort();
  const controlPort = freeTcpPort();
  const file = `${dir}/${name}.yaml`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      name,
      fleet_key: key,
      listen: `127.0.0.1:${port}`,
      control_listen: `127.0.0.1:${controlPort}`,
      discovery: { enabled: false },
      // The default: history in an embedded database, here the run's own.
      data_dir: `${dir}/${name}-data`,
      ...hosts,
    }),
  );
  const child = spawn(["run", "-A", "hub/main.ts", "--config", file], {
    DENO_NO_UPDATE_CHECK: "1",
  });
  // Ready: the host is online and the hub has seen the model loaded, so nothing waits for a poll.
  const deadline = performance.now() + 30_000;
  let seen = "nothing";
  while (performance.now() < deadline) {
    if (child.exited) throw new Error(`The hub "${name}" exited at start:\n${child.output()}`);
    try {
      // The merged /api/ps of the data plane: the control plane may need a login.
      const response = await fetch(`http://127.0.0.1:${port}/api/ps`);
      const { models } = await response.json() as { models: { name: string }[] };
      seen = JSON.stringify(models.map((m) => m.name));
      if (models.some((m) => m.name === MODEL)) {
        return { child, url: `http://127.0.0.1:${port}` };
      }
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await child.stop();
  throw new Error(`The hub "${name}" saw no online host with ${MODEL} in 30 s (${seen})`);
}

/** Starts an agent, a hub in front of it, a hub and nginx in front of the simulator itself. */
async function startStack(
  simUrl: string,
  keys: { key: string; token: string },
  dir: string,
  nginx: string | null,
): Promise<Stack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  try {
    // Waits for the preload, and fails here, not in the agent, when the simulator could not load.
    const probe = await fetch(`${simUrl}/api/generate`, {
      method: "POST",
      body: JSON.stringify({ model: MODEL, prompt: "hi", stream: false }),
    });
    if (!probe.ok) throw new Error(`The simulator answered ${probe.status}: ${await probe.text()}`);
    await probe.arrayBuffer();
    const denoFlags = installedDenoFlags(
      await Deno.readTextFile(new URL("systemd/corral-agent.service", ROOT)),
    );
    const agentCommand = ["run", ...denoFlags, "agent/main.ts", "--slots", String(SLOTS)];
    const agent = await startAgent(agentCommand, simUrl, keys.key, keys.token);
    cleanups.push(() => agent.child.stop());
    const tag = Math.random().toString(36).slice(2, 8);
    const [viaAgent, alone, proxy] = await Promise.all([
      startHubProcess(dir, `hub-agent-${tag}`, { agents: [agent.url] }, keys.key),
      startHubProcess(dir, `hub-${tag}`, { ollama: [{ url: simUrl, slots: SLOTS }] }, keys.key),
      nginx ? startNginx(nginx, simUrl) : null,
    ]);
    cleanups.push(() => viaAgent.child.stop(), () => alone.child.stop());
    if (proxy) cleanups.push(() => proxy.stop());
    const paths: BenchPath[] = [
      { name: "direct", url: `${simUrl}/api/generate`, proxyPids: () => Promise.resolve([]) },
      {
        name: "hub+agent",
        url: `${viaAgent.url}/api/generate`,
        proxyPids: () => Promise.resolve([viaAgent.child.pid, agent.child.pid]),
      },
      {
        name: "hub",
        url: `${alone.url}/api/generate`,
        proxyPids: () => Promise.resolve([alone.child.pid]),
      },
    ];
    if (proxy) {
      paths.push({ name: "nginx", url: `${proxy.url}/api/generate`, proxyPids: proxy.workerPids });
    }
    return { paths, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Latencies of one path at one concurrency, over every round. */
interface PathLoad {
  latencies: number[];
  seconds: number;
  failures: number;
  /** CPU time of the path's proxy processes, ms (utime + stime). */
  cpuMs: number;
}

async function cpuMsOf(pids: number[], ticksPerSecond: number): Promise<number> {
  const ticks = await Promise.all(pids.map((pid) => readCpuTicks(pid).then((t) => t.own)));
  return ticks.reduce((a, b) => a + b, 0) / ticksPerSecond * 1000;
}

/** The paths in a different order each round, so that no path always runs first or last. */
function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function measureLatency(
  paths: BenchPath[],
  requests: number,
  ticksPerSecond: number,
): Promise<Map<number, Map<PathName, PathLoad>>> {
  const options = { num_predict: 1 };
  const small = JSON.stringify({ model: MODEL, prompt: "hi", stream: false, options });
  for (const path of paths) { // open the connections and let the JIT compile
    await runLoad(timedPost(path.url, {}, small, []), { concurrency: 128, count: 1000 });
    await runLoad(timedPost(path.url, {}, small, []), { concurrency: 16, count: 500 });
  }
  const table = new Map<number, Map<PathName, PathLoad>>();
  for (const concurrency of CONCURRENCIES) {
    const results = new Map<PathName, PathLoad>(
      paths.map((p) => [p.name, { latencies: [], seconds: 0, failures: 0, cpuMs: 0 }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of rotate(paths, round)) {
        const into = results.get(path.name)!;
        const pids = await path.proxyPids();
        const cpu0 = await cpuMsOf(pids, ticksPerSecond);
        const r = await runLoad(timedPost(path.url, {}, small, into.latencies), {
          concurrency,
          count: Math.ceil(requests / ROUNDS),
        });
        into.cpuMs += await cpuMsOf(pids, ticksPerSecond) - cpu0;
        if (r.requests > 0) into.seconds += r.requests / r.requestsPerSecond;
        into.failures += r.failures;
      }
    }
    for (const r of results.values()) r.latencies.sort((a, b) => a - b);
    table.set(concurrency, results);
  }
  return table;
}

async function measureStreams(
  paths: BenchPath[],
  streams: number,
): Promise<Map<PathName, StreamTiming[]>> {
  const body = JSON.stringify({
    model: MODEL,
    prompt: "hi",
    options: { num_predict: STREAM_TOKENS },
  });
  for (const path of paths) await timeStream(path.url, {}, body); // warm
  const got = new Map<PathName, StreamTiming[]>(paths.map((p) => [p.name, []]));
  for (let i = 0; i < streams; i++) {
    for (const path of rotate(paths, i)) {
      got.get(path.name)!.push(await timeStream(path.url, {}, body));
    }
  }
  return got;
}

const fmt = (n: number, digits = 2) => Number.isFinite(n) ? n.toFixed(digits) : "–";
const verdict = (ok: boolean) => ok ? "**PASS**" : "**FAIL**";

/** Runs the benchmark and returns a Markdown report. */
export async function hubBench(options: Partial<HubBenchOptions> = {}): Promise<string> {
  const { requests, streams } = { ...HUB_BENCH_DEFAULTS, ...options };
  const say = (message: string) => console.error(`hub bench: ${message}`);
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
  const keys = { key, token: await fleetToken(key) };
  const ticksPerSecond = await clockTicksPerSecond();
  const nginx = await findNginx();
  const nginxVersion = nginx ? await nginxVersionOf(nginx) : "";
  if (!nginx) say("nginx is not installed (apt-get install -y nginx-light): skipping nginx");
  const dir = await Deno.makeTempDir({ prefix: "corral-hub-bench-" });
  const cleanups: (() => Promise<unknown>)[] = [];
  const simArgs = ["--profile", "rtx4090", "--preload", MODEL, "--keep-alive=-1"];
  simArgs.push("--num-parallel", String(SLOTS), "--context-length", "2048");
  try {
    say("starting the simulator at zero think time, an agent, two hubs and nginx");
    const fast = await spawnSim(["--speed", "1e9", ...simArgs]);
    cleanups.push(() => fast.stop());
    let stack = await startStack(fast.url, keys, dir, nginx);
    cleanups.push(() => stack.stop());
    say(`latency: ${requests} requests per path at concurrency ${CONCURRENCIES.join(", ")}`);
    const latency = await measureLatency(stack.paths, requests, ticksPerSecond);
    await stack.stop();
    await fast.stop();

    let streamed = new Map<PathName, StreamTiming[]>();
    if (streams > 0) {
      say("streams: the same servers in front of a simulator at real speed");
      const real = await spawnSim([
        "--speed",
        "1",
        ...simArgs,
        "--reply-tokens",
        `${STREAM_TOKENS * 2},${STREAM_TOKENS * 2}`,
      ]);
      cleanups.push(() => real.stop());
      stack = await startStack(real.url, keys, dir, nginx);
      cleanups.push(() => stack.stop());
      streamed = await measureStreams(stack.paths, streams);
    }
    return report({ requests, streams, nginxVersion, latency, streamed });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function report(run: {
  requests: number;
  streams: number;
  nginxVersion: string;
  latency: Map<number, Map<PathName, PathLoad>>;
  streamed: Map<PathName, StreamTiming[]>;
}): string {
  const { latency, streamed } = run;
  const p = (r: PathLoad | undefined, q: number) => r ? quantile(r.latencies, q) : NaN;
  const delta = (c: number, name: PathName, q: number) =>
    p(latency.get(c)!.get(name), q) - p(latency.get(c)!.get("direct"), q);
  const out = [
    "### Hub: added latency over calling the simulator directly",
    "",
    "`POST /api/generate` (1 token, non-streamed) to a simulator at zero think time (`--speed " +
    `1e9\`, rtx4090 profile, ${MODEL} preloaded, \`--num-parallel ${SLOTS}\`), over four paths: ` +
    "**direct**; **hub+agent** (hub → agent → simulator, the fleet path); **hub** alone (the " +
    `simulator as a plain Ollama, \`ollama: [{url, slots: ${SLOTS}}]\`); **nginx** ` +
    (run.nginxVersion
      ? `(${run.nginxVersion}, 1 worker, \`proxy_pass\` to an upstream with \`keepalive\`, ` +
        "`proxy_http_version 1.1`, `proxy_buffering off`, no access log)"
      : "(skipped: nginx is not installed)") +
    `. ${run.requests} requests per path and concurrency in ${ROUNDS} rounds, paths in a ` +
    "rotating order, after a warm-up. Every server in its own process, the load client in " +
    "another; CPU is the proxy processes' utime + stime over their rounds, per request.",
    "",
    "| concurrency | path | p50 ms | Δ p50 ms | p99 ms | Δ p99 ms | req/s | proxy CPU µs/req | failed |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const [concurrency, results] of latency) {
    for (const [name, r] of results) {
      const direct = name === "direct";
      out.push(
        `| ${concurrency} | ${name} | ${fmt(p(r, 0.5))} | ${
          direct ? "" : fmt(delta(concurrency, name, 0.5))
        } | ${fmt(p(r, 0.99))} | ${direct ? "" : fmt(delta(concurrency, name, 0.99))} | ${
          fmt(r.latencies.length / r.seconds, 0)
        } | ${
          direct ? "" : fmt(r.cpuMs * 1000 / (r.latencies.length + r.failures), 0)
        } | ${r.failures} |`,
      );
    }
  }
  const checks: string[] = [];
  const hub16 = { p50: delta(16, "hub", 0.5), p99: delta(16, "hub", 0.99) };
  checks.push(
    `- Hub alone at concurrency 16: +${fmt(hub16.p50)} ms p50 ` +
      `(target ≤ ${HUB_TARGETS.p50DeltaMs}): ${verdict(hub16.p50 <= HUB_TARGETS.p50DeltaMs)}; ` +
      `+${fmt(hub16.p99)} ms p99 (target ≤ ${HUB_TARGETS.p99DeltaMs}): ` +
      `${verdict(hub16.p99 <= HUB_TARGETS.p99DeltaMs)}.`,
  );
  if (streamed.size > 0) {
    const first = (name: PathName) => median(streamed.get(name)!.map((s) => s.firstLine));
    const total = (name: PathName) => median(streamed.get(name)!.map((s) => s.total));
    const sum = (name: PathName, f: (s: StreamTiming) => number) =>
      streamed.get(name)!.reduce((a, s) => a + f(s), 0);
    const lines = streamed.get("direct")![0]!.lines;
    out.push(
      "",
      `Streams: a simulator at real speed (\`--speed 1\`, same profile), ${run.streams} streamed ` +
        `\`/api/generate\` of ${STREAM_TOKENS} tokens per path (${lines} NDJSON lines each), one ` +
        "at a time in a rotating order, behind a fresh agent, hubs and nginx. A read that ends " +
        "more than one line means lines reached the client coalesced.",
      "",
      "| path | first line ms (median) | Δ ms | whole stream ms (median) | Δ ms | reads | reads with > 1 line | most lines in one read |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const name of streamed.keys()) {
      const direct = name === "direct";
      out.push(
        `| ${name} | ${fmt(first(name))} | ${direct ? "" : fmt(first(name) - first("direct"))} | ${
          fmt(total(name), 1)
        } | ${direct ? "" : fmt(total(name) - total("direct"))} | ${sum(name, (s) => s.reads)} | ${
          sum(name, (s) => s.coalescedReads)
        } | ${Math.max(...streamed.get(name)!.map((s) => s.maxLinesPerRead))} |`,
      );
    }
    for (const name of ["hub", "hub+agent"] as const) {
      const d = first(name) - first("direct");
      const coalesced = sum(name, (s) => s.coalescedReads);
      checks.push(
        `- Streams through ${name === "hub" ? "the hub alone" : "hub+agent"}: +${fmt(d)} ms to ` +
          `the first line (target ≤ ${HUB_TARGETS.firstLineDeltaMs}): ` +
          `${verdict(d <= HUB_TARGETS.firstLineDeltaMs)}; ${coalesced} reads with coalesced ` +
          `lines (target 0): ${verdict(coalesced === 0)}.`,
      );
    }
  }
  if (run.nginxVersion) {
    for (const c of CONCURRENCIES) {
      const hub = delta(c, "hub", 0.5);
      const nginx = delta(c, "nginx", 0.5);
      checks.push(
        `- Hub alone vs nginx at concurrency ${c}: +${fmt(hub)} vs +${fmt(nginx)} ms p50 ` +
          `(${fmt(hub / nginx, 1)}×, target ≤ ${HUB_TARGETS.nginxFactor}×): ` +
          `${verdict(hub <= HUB_TARGETS.nginxFactor * nginx)}.`,
      );
    }
  } else {
    checks.push("- Hub vs nginx: not measured (nginx is not installed).");
  }
  out.push("", "Against the targets:", "", ...checks);
  return out.join("\n");
}
