/**
 * The agent against its budget: "at 1 s sampling, steady-state RSS at most 60 MB and CPU at most 1 %
 * of one core; the proxy adds at most 0.5 ms p50 over calling the simulator directly."
 *
 * The agent runs as installed: the single-file bundle (`deno bundle`, as `deno task agent:bundle`)
 * under the Deno flags of `systemd/corral-agent.service`'s `ExecStart`, beside simulators in their
 * own processes. For comparison the agent also runs from source (`deno run -A agent/main.ts`, no
 * bundle, no V8 flag) over the same window. Figures are read from `/proc/<pid>/status` (VmRSS) and
 * `/proc/<pid>/stat` (utime + stime), which Deno lets only `--allow-all` read.
 *
 * @module
 */

import { fleetToken } from "../../shared/fleet_key.ts";
import { quantile, runLoad } from "./load.ts";
import { spawnSim } from "./sim_bench.ts";

/** What {@link agentBench} measures over. */
export interface AgentBenchOptions {
  /** Seconds from the agent reporting Ollama reachable to the start of the window. */
  warmupSeconds: number;
  /** Seconds over which RSS is sampled every second and CPU time is counted. */
  windowSeconds: number;
  /** Requests per path (direct, through the agent) at each concurrency. */
  requests: number;
  /** Streamed generates per path in the time-to-first-line check; 0 skips it. */
  streams: number;
}

/** The defaults of `deno task bench`. */
export const AGENT_BENCH_DEFAULTS: AgentBenchOptions = {
  warmupSeconds: 30,
  windowSeconds: 60,
  requests: 4000,
  streams: 20,
};

const ROOT = new URL("../../", import.meta.url);
const UNIT = new URL("systemd/corral-agent.service", ROOT);
const MODEL = "llama3.2:3b";
const BUDGET = { rssMB: 60, cpuPercent: 1, p50DeltaMs: 0.5 };

/**
 * The Deno flags of a systemd unit's `ExecStart=deno run <flags> <script> <agent flags>`.
 *
 * @param unit The unit file's text.
 * @returns The words between `run` and the script, e.g. `["--allow-all", "--no-prompt", …]`.
 */
export function installedDenoFlags(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)?.[1];
  if (!line) throw new Error("The unit has no ExecStart= line");
  const words = line.trim().split(/\s+/);
  const run = words.indexOf("run");
  const script = words.findIndex((word, i) => i > run && !word.startsWith("-"));
  if (run < 0 || script < 0 || !words[script]!.endsWith(".js")) {
    throw new Error(`Cannot find "deno run <flags> <script>.js" in ExecStart=${line}`);
  }
  return words.slice(run + 1, script);
}

/** A child process whose output is kept (its last few kilobytes) for error messages. */
export interface Child {
  pid: number;
  exited: boolean;
  output(): string;
  /** SIGTERM, then SIGKILL after 15 s; resolves with the exit code and how long it took. */
  stop(): Promise<{ code: number; ms: number }>;
}

/** Runs `deno <args>` from the repository root with `env` added, keeping its output's tail. */
export function spawn(args: string[], env: Record<string, string>): Child {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let tail = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      tail = (tail + text).slice(-4000);
    }
  };
  void drain(child.stdout);
  void drain(child.stderr);
  const handle: Child = {
    pid: child.pid,
    exited: false,
    output: () => tail,
    async stop() {
      const t0 = performance.now();
      if (!handle.exited) child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!handle.exited) child.kill("SIGKILL");
      }, 15_000);
      const { code } = await child.status;
      clearTimeout(timer);
      return { code, ms: performance.now() - t0 };
    },
  };
  void child.status.then(() => handle.exited = true);
  return handle;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freeTcpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A UDP port that was free a moment ago. */
export function freeUdpPort(): number {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "0.0.0.0", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<unknown> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process, KiB: total, anonymous and file-backed. */
interface Rss {
  rss: number;
  anon: number;
  file: number;
}

async function readRss(pid: number): Promise<Rss> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+) kB`, "m").exec(status)?.[1]);
  return { rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile") + kib("RssShmem") };
}

/** CPU time of a process in clock ticks: its own threads', and its exited children's (`df`). */
export async function readCpuTicks(pid: number): Promise<{ own: number; children: number }> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after "(comm)" start at field 3 (state); utime, stime, cutime, cstime are 14 to 17.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  return { own: fields[11]! + fields[12]!, children: fields[13]! + fields[14]! };
}

/** The kernel's clock ticks per second (`getconf CLK_TCK`), 100 if it cannot say. */
export async function clockTicksPerSecond(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const ticks = Number(new TextDecoder().decode(out.stdout).trim());
    return ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/** What a window of sampling found for one process. */
interface WindowResult {
  samples: Rss[];
  /** The process's own threads, percent of one core. */
  cpuPercent: number;
  /** The children it ran and reaped during the window (`df`). */
  childCpuPercent: number;
}

/** Samples each process's RSS every second for `seconds`, and counts its CPU time over the window. */
async function sampleWindow(
  pids: number[],
  seconds: number,
  ticksPerSecond: number,
): Promise<WindowResult[]> {
  const samples = pids.map((): Rss[] => []);
  const ticks0 = await Promise.all(pids.map(readCpuTicks));
  const t0 = performance.now();
  for (let i = 0; i <= seconds; i++) {
    await sleep(Math.max(0, t0 + i * 1000 - performance.now()));
    const now = await Promise.all(pids.map(readRss));
    now.forEach((rss, p) => samples[p]!.push(rss));
  }
  const ticks1 = await Promise.all(pids.map(readCpuTicks));
  const elapsed = (performance.now() - t0) / 1000;
  const percent = (ticks: number) => ticks / ticksPerSecond / elapsed * 100;
  return pids.map((_, p) => ({
    samples: samples[p]!,
    cpuPercent: percent(ticks1[p]!.own - ticks0[p]!.own),
    childCpuPercent: percent(ticks1[p]!.children - ticks0[p]!.children),
  }));
}

/** Reads `/v1/state/stream` as a hub would, counting events, until closed. */
async function openStateStream(url: string, token: string) {
  const abort = new AbortController();
  const response = await fetch(`${url}/v1/state/stream`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  if (!response.ok || !response.body) throw new Error(`state stream: ${response.status}`);
  const counts = { snapshot: 0, heartbeat: 0, bytes: 0 };
  const reading = (async () => {
    let rest = "";
    try {
      for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
        counts.bytes += text.length;
        const events = (rest + text).split("\n\n");
        rest = events.pop()!;
        for (const event of events) {
          const name = /^event: (\w+)/m.exec(event)?.[1];
          if (name === "snapshot" || name === "heartbeat") counts[name]++;
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return {
    counts,
    async close() {
      abort.abort();
      await reading;
    },
  };
}

/** Waits until the agent's `/v1/state` says Ollama is reachable. */
async function waitReachable(agent: Child, url: string, token: string): Promise<void> {
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    if (agent.exited) throw new Error(`The agent exited at start:\n${agent.output()}`);
    try {
      const response = await fetch(`${url}/v1/state`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const state = response.ok ? await response.json() : await response.body?.cancel();
      if (state?.ollama?.reachable === true) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  throw new Error(`The agent did not report Ollama reachable within 60 s:\n${agent.output()}`);
}

/**
 * Starts an agent child with the bench's flags and waits until it reports Ollama reachable;
 * `command` ends with the script to run (and may carry more agent flags after it).
 */
export async function startAgent(
  command: string[],
  simUrl: string,
  key: string,
  token: string,
): Promise<{ child: Child; url: string }> {
  const port = freeTcpPort();
  const child = spawn([
    ...command,
    "--listen",
    `127.0.0.1:${port}`,
    "--ollama",
    simUrl,
    "--gpus",
    "simulator",
    "--sample-interval",
    "1s",
    "--announce-to",
    "127.0.0.1",
    "--announce-port",
    String(freeUdpPort()),
    "--disk",
    "/",
  ], { CORRAL_FLEET_KEY: key, DENO_NO_UPDATE_CHECK: "1" });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReachable(child, url, token);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url };
}

const MiB = (kib: number) => kib / 1024;
const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** The median of unsorted values. */
export function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/**
 * A `runLoad` sender: POSTs `body` to `url`, reads the whole answer, and pushes the latency in ms
 * onto `into`; throws on a status other than 2xx.
 */
export function timedPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  into: number[],
): () => Promise<void> {
  return async () => {
    const t0 = performance.now();
    const response = await fetch(url, { method: "POST", headers, body });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`status ${response.status}`);
    into.push(performance.now() - t0);
  };
}

/** How one streamed answer arrived at the client. */
export interface StreamTiming {
  /** Ms from sending the request to the first chunk of the body. */
  first: number;
  /** Ms from sending the request to the end of the first NDJSON line. */
  firstLine: number;
  /** Ms from sending the request to the end of the body. */
  total: number;
  /** NDJSON lines (newlines) in the body. */
  lines: number;
  /** Chunks read. */
  reads: number;
  /** Reads that ended more than one line: lines that reached the client coalesced. */
  coalescedReads: number;
  /** The most lines ended by one read (1 when every line came on its own). */
  maxLinesPerRead: number;
}

/**
 * POSTs `body` (a streamed request) and times each chunk of the answer as the client reads it.
 *
 * @throws {Error} When the status is not 2xx or fewer than two lines came.
 */
export async function timeStream(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<StreamTiming> {
  const t0 = performance.now();
  const response = await fetch(url, { method: "POST", headers, body });
  const reader = response.body!.getReader();
  let first = NaN;
  let firstLine = NaN;
  let lines = 0;
  let reads = 0;
  let coalescedReads = 0;
  let maxLinesPerRead = 0;
  const decoder = new TextDecoder();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    const now = performance.now() - t0;
    if (Number.isNaN(first)) first = now;
    reads++;
    const ended = decoder.decode(r.value, { stream: true }).split("\n").length - 1;
    if (ended > 0 && Number.isNaN(firstLine)) firstLine = now;
    if (ended > 1) coalescedReads++;
    maxLinesPerRead = Math.max(maxLinesPerRead, ended);
    lines += ended;
  }
  if (!response.ok || lines < 2) {
    throw new Error(`stream: ${response.status}, ${lines} lines`);
  }
  return {
    first,
    firstLine,
    total: performance.now() - t0,
    lines,
    reads,
    coalescedReads,
    maxLinesPerRead,
  };
}

/** Latencies of one path, gathered over several rounds. */
interface PathResult {
  latencies: number[];
  seconds: number;
  failures: number;
}

/** Runs the benchmark and returns a Markdown report. */
export async function agentBench(
  options: Partial<AgentBenchOptions> = {},
): Promise<string> {
  const { warmupSeconds, windowSeconds, requests, streams } = {
    ...AGENT_BENCH_DEFAULTS,
    ...options,
  };
  const say = (message: string) => console.error(`agent bench: ${message}`);
  const ticksPerSecond = await clockTicksPerSecond();
  const denoFlags = installedDenoFlags(await Deno.readTextFile(UNIT));
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(24))));
  const token = await fleetToken(key);
  const tmp = await Deno.makeTempDir({ prefix: "corral-agent-bench-" });
  const cleanups: (() => Promise<unknown>)[] = [];
  const report: string[] = [];
  try {
    const bundle = `${tmp}/corral-agent.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform=deno", "-o", bundle, "agent/main.ts"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!built.success) {
      throw new Error(`deno bundle failed:\n${new TextDecoder().decode(built.stderr)}`);
    }
    const bundleKiB = (await Deno.stat(bundle)).size / 1024;

    // Zero think time: every figure above the floor is the agent's.
    const sim = await spawnSim([
      "--speed",
      "1e9",
      "--profile",
      "rtx4090",
      "--preload",
      MODEL,
      "--num-parallel",
      "32",
      "--context-length",
      "2048",
      "--keep-alive=-1",
    ]);
    cleanups.push(() => sim.stop());
    const small = JSON.stringify({
      model: MODEL,
      prompt: "hi",
      stream: false,
      options: { num_predict: 1 },
    });
    await fetch(`${sim.url}/api/generate`, { method: "POST", body: small })
      .then((r) => r.arrayBuffer()); // waits for the preload

    say(`starting the bundled agent and the agent from source beside ${sim.url}`);
    const [bundled, source] = await Promise.all([
      startAgent(["run", ...denoFlags, bundle], sim.url, key, token),
      startAgent(["run", "-A", "agent/main.ts"], sim.url, key, token),
    ]);
    cleanups.push(() => bundled.child.stop(), () => source.child.stop());

    // One state stream each, as one hub would hold.
    const streamsOpen = await Promise.all([
      openStateStream(bundled.url, token),
      openStateStream(source.url, token),
    ]);
    cleanups.push(() => Promise.all(streamsOpen.map((s) => s.close())));
    say(`warming up for ${warmupSeconds} s`);
    await sleep(warmupSeconds * 1000);
    const before = streamsOpen.map((s) => ({ ...s.counts }));
    say(`sampling for ${windowSeconds} s`);
    const [idle, idleSource] = await sampleWindow(
      [bundled.child.pid, source.child.pid],
      windowSeconds,
      ticksPerSecond,
    );
    const events = streamsOpen.map((s, i) => ({
      snapshot: s.counts.snapshot - before[i]!.snapshot,
      heartbeat: s.counts.heartbeat - before[i]!.heartbeat,
      bytes: s.counts.bytes - before[i]!.bytes,
    }));
    await streamsOpen[1]!.close();
    const sourceStop = await source.child.stop();

    // Proxy overhead: the same small request, direct and through the agent, in alternating rounds.
    const agentHeaders = { authorization: `Bearer ${token}` };
    const sender = (url: string, headers: Record<string, string>, into: number[]) =>
      timedPost(url, headers, small, into);
    const paths = {
      direct: { url: `${sim.url}/api/generate`, headers: {} },
      agent: { url: `${bundled.url}/ollama/api/generate`, headers: agentHeaders },
    };
    say("proxy overhead");
    for (const path of Object.values(paths)) {
      await runLoad(sender(path.url, path.headers, []), { concurrency: 16, count: 500 });
    }
    let loadRssMax = 0;
    let sampling = true;
    const loadSampler = (async () => {
      while (sampling && !bundled.child.exited) {
        loadRssMax = Math.max(loadRssMax, (await readRss(bundled.child.pid)).rss);
        await sleep(250);
      }
    })();
    cleanups.push(async () => {
      sampling = false;
      await loadSampler;
    });
    const rounds = 4;
    const overhead: { concurrency: number; direct: PathResult; agent: PathResult }[] = [];
    for (const concurrency of [1, 16]) {
      const results = {
        direct: { latencies: [], seconds: 0, failures: 0 } as PathResult,
        agent: { latencies: [], seconds: 0, failures: 0 } as PathResult,
      };
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ["direct", "agent"] as const : ["agent", "direct"] as const;
        for (const name of order) {
          const into = results[name];
          const count = Math.ceil(requests / rounds);
          const r = await runLoad(
            sender(paths[name].url, paths[name].headers, into.latencies),
            { concurrency, count },
          );
          if (r.requests > 0) into.seconds += r.requests / r.requestsPerSecond;
          into.failures += r.failures;
        }
      }
      for (const r of Object.values(results)) r.latencies.sort((a, b) => a - b);
      overhead.push({ concurrency, ...results });
    }
    sampling = false;
    await loadSampler;
    await sleep(10_000);
    const afterLoad = await readRss(bundled.child.pid);
    await streamsOpen[0]!.close();
    const bundledStop = await bundled.child.stop();

    // Streaming: time to the first NDJSON line at real speed, direct and through an agent.
    let streamRows: string[] = [];
    if (streams > 0) {
      say("streaming at real speed");
      const realSim = await spawnSim([
        "--speed",
        "1",
        "--profile",
        "rtx4090",
        "--preload",
        MODEL,
        "--keep-alive=-1",
        "--reply-tokens",
        "200,200",
      ]);
      cleanups.push(() => realSim.stop());
      const realAgent = await startAgent(["run", ...denoFlags, bundle], realSim.url, key, token);
      cleanups.push(() => realAgent.child.stop());
      const body = JSON.stringify({ model: MODEL, prompt: "hi", options: { num_predict: 50 } });
      const streamOnce = (url: string, headers: Record<string, string>) =>
        timeStream(url, headers, body);
      const real = {
        direct: { url: `${realSim.url}/api/generate`, headers: {} },
        agent: { url: `${realAgent.url}/ollama/api/generate`, headers: agentHeaders },
      };
      for (const path of Object.values(real)) await streamOnce(path.url, path.headers); // load, warm
      type Timing = { first: number; total: number };
      const got = { direct: [] as Timing[], agent: [] as Timing[] };
      let lines = 0;
      for (let i = 0; i < streams; i++) {
        for (
          const name of i % 2 === 0 ? ["direct", "agent"] as const : ["agent", "direct"] as const
        ) {
          const r = await streamOnce(real[name].url, real[name].headers);
          got[name].push(r);
          lines = r.lines;
        }
      }
      const m = (name: "direct" | "agent", field: "first" | "total") =>
        median(got[name].map((r) => r[field]));
      streamRows = [
        "",
        `Streaming at real speed (\`--speed 1\`, ${MODEL} on the rtx4090 profile, ${streams} streamed ` +
        `\`/api/generate\` of 50 tokens per path, ${lines} NDJSON lines each, alternating): median ` +
        `first line ${fmt(m("direct", "first"), 2)} ms direct, ${fmt(m("agent", "first"), 2)} ms ` +
        `through the agent (Δ ${fmt(m("agent", "first") - m("direct", "first"), 2)} ms); median ` +
        `whole stream ${fmt(m("direct", "total"), 1)} ms direct, ${
          fmt(m("agent", "total"), 1)
        } ms ` +
        `through the agent (Δ ${fmt(m("agent", "total") - m("direct", "total"), 2)} ms).`,
      ];
    }

    // The report.
    const rssRow = (label: string, w: WindowResult) => {
      const rss = w.samples.map((s) => s.rss);
      return `| ${label} | ${fmt(MiB(median(rss)))} | ${fmt(MiB(Math.max(...rss)))} | ${
        fmt(MiB(median(w.samples.map((s) => s.anon))))
      } | ${fmt(MiB(median(w.samples.map((s) => s.file))))} | ${fmt(w.cpuPercent, 2)} | ${
        fmt(w.childCpuPercent, 2)
      } |`;
    };
    const idleMaxKiB = Math.max(...idle!.samples.map((s) => s.rss));
    const idleMaxMB = idleMaxKiB * 1024 / 1e6;
    report.push(
      "### Agent (single-file bundle, run as `systemd/corral-agent.service` runs it)",
      "",
      `Bundle: ${fmt(bundleKiB, 0)} KiB. Deno flags from the unit's ExecStart: \`${
        denoFlags.join(" ")
      }\`. Agent flags: \`--gpus simulator --sample-interval 1s ` +
        `--announce-to 127.0.0.1 --disk /\` (Ollama polled every 1 s, the default), fleet key set, Ollama = a simulator at zero think time. ` +
        `Idle steady state with one hub's \`/v1/state/stream\` open: ${warmupSeconds} s warm-up, ` +
        `then VmRSS every second for ${windowSeconds} s and utime+stime over the window ` +
        `(CLK_TCK ${ticksPerSecond}). The agent from source ran beside it over the same window.`,
      "",
      "| agent | RSS median MiB | RSS max MiB | anon MiB | file MiB | CPU % of one core | " +
        "its `df` runs, CPU % |",
      "|---|---:|---:|---:|---:|---:|---:|",
      rssRow("bundle, as installed", idle!),
      rssRow("from source (`deno run -A agent/main.ts`)", idleSource!),
      "",
      `The bundled agent's stream carried ${events[0]!.snapshot} snapshots and ${
        events[0]!.heartbeat
      } heartbeats in the window (${fmt(events[0]!.bytes / 1024 / windowSeconds, 1)} KiB/s). ` +
        `RSS peaked at ${fmt(MiB(loadRssMax))} MiB during the proxy load below and was ` +
        `${fmt(MiB(afterLoad.rss))} MiB (anon ${fmt(MiB(afterLoad.anon))}) 10 s after it. ` +
        `On SIGTERM the bundled agent exited ${bundledStop.code} in ${
          fmt(bundledStop.ms, 0)
        } ms, ` +
        `the one from source ${sourceStop.code} in ${fmt(sourceStop.ms, 0)} ms.`,
      "",
      "Proxy overhead: `POST /api/generate` (1 token, non-streamed) to the simulator directly and to " +
        "the agent's `/ollama/api/generate` with the fleet token, " +
        `${requests} requests per path in ${rounds} alternating rounds, after a warm-up.`,
      "",
      "| concurrency | direct p50 ms | agent p50 ms | Δ p50 ms | direct p99 ms | agent p99 ms | " +
        "Δ p99 ms | direct req/s | agent req/s |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const { concurrency, direct, agent } of overhead) {
      if (direct.failures + agent.failures > 0) {
        throw new Error(
          `${direct.failures} direct and ${agent.failures} proxied requests failed at ` +
            `concurrency ${concurrency}`,
        );
      }
      const p = (r: PathResult, q: number) => quantile(r.latencies, q);
      report.push(
        `| ${concurrency} | ${fmt(p(direct, 0.5), 2)} | ${fmt(p(agent, 0.5), 2)} | ${
          fmt(p(agent, 0.5) - p(direct, 0.5), 2)
        } | ${fmt(p(direct, 0.99), 2)} | ${fmt(p(agent, 0.99), 2)} | ${
          fmt(p(agent, 0.99) - p(direct, 0.99), 2)
        } | ${fmt(direct.latencies.length / direct.seconds, 0)} | ${
          fmt(agent.latencies.length / agent.seconds, 0)
        } |`,
      );
    }
    report.push(...streamRows);
    const c1 = overhead[0]!;
    const delta = quantile(c1.agent.latencies, 0.5) - quantile(c1.direct.latencies, 0.5);
    const verdict = (ok: boolean) => ok ? "within" : "OVER";
    report.push(
      "",
      "Against the budget:",
      "",
      `- RSS: max ${fmt(MiB(idleMaxKiB))} MiB = ${fmt(idleMaxMB)} MB, ${
        verdict(idleMaxMB <= BUDGET.rssMB)
      } ${BUDGET.rssMB} MB.`,
      `- CPU: ${fmt(idle!.cpuPercent, 2)} % of one core (${
        fmt(idle!.cpuPercent + idle!.childCpuPercent, 2)
      } % with its \`df\` runs), ${
        verdict(idle!.cpuPercent + idle!.childCpuPercent <= BUDGET.cpuPercent)
      } ${BUDGET.cpuPercent} %.`,
      `- Proxy: +${fmt(delta, 2)} ms p50 at concurrency 1, ${
        verdict(delta <= BUDGET.p50DeltaMs)
      } ${BUDGET.p50DeltaMs} ms.`,
    );
    return report.join("\n");
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await Deno.remove(tmp, { recursive: true });
  }
}
