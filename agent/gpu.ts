/**
 * The GPU sampling edge: the only agent file that runs `nvidia-smi` or `rocm-smi` or reads amdgpu
 * sysfs. Parsing lives in `gpu_parse.ts`; this file only moves bytes and keeps the latest report.
 *
 * - nvidia: ONE long-running `nvidia-smi --query-gpu=... -lms <intervalMs>`; `read()` returns the
 *   newest complete block without spawning anything. When the process exits it is restarted with
 *   a doubling backoff (capped), and reads report why meanwhile.
 * - rocm: `rocm-smi ... --json` once per read (it has no loop mode); concurrent reads share a run.
 * - amdgpu: `/sys/class/drm/card<N>/device` files, per read.
 * - simulator: the Ollama simulator's `GET /_sim/state`.
 * - auto: nvidia-smi, then rocm-smi, then amdgpu sysfs, else `none` (a CPU-only host is not an
 *   error). Decided once, at the first read.
 *
 * @module
 */

import type { GpuReport, GpuSample } from "../shared/protocol.ts";
import {
  type AmdgpuSysfsCard,
  NVIDIA_QUERY,
  NvidiaSmiStream,
  parseAmdgpuSysfs,
  parseRocmSmiJson,
} from "./gpu_parse.ts";

/** Options for {@link createGpuReader}. */
export interface GpuReaderOptions {
  /** Where GPU figures come from; `auto` probes once, at the first read. */
  source: "auto" | "nvidia" | "rocm" | "amdgpu" | "simulator" | "none";
  /** The sampling interval handed to `nvidia-smi -lms`. */
  intervalMs: number;
  /** Base URL of the Ollama simulator, for `source: "simulator"`, e.g. `http://127.0.0.1:11434`. */
  simulatorUrl?: string;
  /** Tool paths, for tests. @default { nvidiaSmi: "nvidia-smi", rocmSmi: "rocm-smi" } */
  commands?: { nvidiaSmi?: string; rocmSmi?: string };
  /** Where sysfs is mounted, for tests. @default "/sys" */
  sysfsRoot?: string;
  /** How long a read waits for nvidia-smi's first block. @default 2000 */
  firstSampleTimeoutMs?: number;
  /** Backoff between nvidia-smi restarts, doubling from `minMs`. @default { minMs: 1000, maxMs: 30000 } */
  restart?: { minMs?: number; maxMs?: number };
  /** How long one `rocm-smi` run or simulator request may take. @default 10000 */
  timeoutMs?: number;
}

/** Reads the host's GPUs; close it (or `await using` it) to stop any process it started. */
export interface GpuReader extends AsyncDisposable {
  /** The latest report; never throws, failures are reported in `error`. */
  read(): Promise<GpuReport>;
  /** Stops nvidia-smi and waits for it to exit. */
  close(): Promise<void>;
}

/** The arguments the agent gives `rocm-smi`; `--showmaxpower` fills `powerLimit`. */
export const ROCM_SMI_ARGS: readonly string[] = Object.freeze([
  "--showid",
  "--showproductname",
  "--showuniqueid",
  "--showmeminfo",
  "vram",
  "--showuse",
  "--showtemp",
  "--showpower",
  "--showmaxpower",
  "--json",
]);

/** The arguments the agent gives `nvidia-smi` for loop mode at `intervalMs`. */
export function nvidiaSmiArgs(intervalMs: number): string[] {
  return [
    `--query-gpu=${NVIDIA_QUERY.join(",")}`,
    "--format=csv,noheader,nounits",
    `-lms`,
    String(intervalMs),
  ];
}

interface Resolved {
  intervalMs: number;
  simulatorUrl: string | undefined;
  nvidiaSmi: string;
  rocmSmi: string;
  sysfsRoot: string;
  firstSampleTimeoutMs: number;
  restartMinMs: number;
  restartMaxMs: number;
  timeoutMs: number;
}

interface Backend {
  read(): Promise<GpuReport>;
  close(): Promise<void>;
}

/** Creates a GPU reader; nothing is started until the first `read()`. */
export function createGpuReader(options: GpuReaderOptions): GpuReader {
  const {
    source,
    intervalMs,
    simulatorUrl,
    commands = {},
    sysfsRoot = "/sys",
    firstSampleTimeoutMs = 2000,
    restart = {},
    timeoutMs = 10_000,
  } = options;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0) {
    throw new RangeError(
      `Cannot create a GPU reader as 'intervalMs' must be a positive integer: current value is ${intervalMs}`,
    );
  }
  if (source === "simulator" && !simulatorUrl) {
    throw new TypeError(`Cannot create a GPU reader as 'simulatorUrl' is required for "simulator"`);
  }
  const config: Resolved = {
    intervalMs,
    simulatorUrl: simulatorUrl?.replace(/\/+$/, ""),
    nvidiaSmi: commands.nvidiaSmi ?? "nvidia-smi",
    rocmSmi: commands.rocmSmi ?? "rocm-smi",
    sysfsRoot,
    firstSampleTimeoutMs,
    restartMinMs: restart.minMs ?? 1000,
    restartMaxMs: restart.maxMs ?? 30_000,
    timeoutMs,
  };
  let backend: Promise<Backend> | undefined;
  let closed = false;
  const start = () => backend ??= startBackend(source, config);
  const close = async () => {
    closed = true;
    if (backend) await (await backend).close();
  };
  return {
    async read() {
      if (closed) return { source: "none", gpus: [], error: "The GPU reader is closed" };
      return await (await start()).read();
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function startBackend(
  source: GpuReaderOptions["source"],
  config: Resolved,
): Promise<Backend> {
  switch (source) {
    case "nvidia":
      return NvidiaLoop.start(config, false)!;
    case "rocm":
      return new RocmSmi(config);
    case "amdgpu":
      return fixed(() => readAmdgpu(config.sysfsRoot));
    case "simulator":
      return fixed(() => readSimulator(config.simulatorUrl!, config.timeoutMs));
    case "none":
      return fixed(() => Promise.resolve({ source: "none", gpus: [], error: null }));
    case "auto":
      return await detect(config);
  }
}

/** nvidia-smi, then rocm-smi, then amdgpu sysfs: the first that exists wins, even if it fails. */
async function detect(config: Resolved): Promise<Backend> {
  const nvidia = NvidiaLoop.start(config, true);
  if (nvidia) return nvidia;
  const rocm = new RocmSmi(config);
  const first = await rocm.read();
  if (!rocm.missing) return { read: rocm.firstThen(first), close: () => rocm.close() };
  const amdgpu = await readAmdgpu(config.sysfsRoot);
  if (amdgpu.gpus.length > 0) {
    return fixed(() => readAmdgpu(config.sysfsRoot));
  }
  return fixed(() => Promise.resolve({ source: "none", gpus: [], error: null }));
}

/** A backend with nothing to stop. */
function fixed(read: () => Promise<GpuReport>): Backend {
  return { read, close: () => Promise.resolve() };
}

/** A tool that is not installed (or that the agent may not run): `auto` moves on to the next. */
function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound ||
    error instanceof Deno.errors.PermissionDenied ||
    error instanceof Deno.errors.NotCapable;
}

function firstLine(text: string): string | null {
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "");
  return line ? line.slice(0, 200) : null;
}

/** Resolves after `ms`, or at once when `signal` aborts; leaves no timer behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** Reads a stream to its end (or until cancelled), handing each decoded chunk to `onText`. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  onText: (text: string) => void,
  stop: AbortSignal,
): Promise<void> {
  const reader = stream.getReader();
  const cancel = () => void reader.cancel().catch(() => {});
  stop.addEventListener("abort", cancel);
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onText(decoder.decode(value, { stream: true }));
    }
    onText(decoder.decode());
  } catch {
    // Cancelled, or the pipe broke: the exit status says what happened.
  } finally {
    stop.removeEventListener("abort", cancel);
    reader.releaseLock();
  }
}

/** One supervised `nvidia-smi -lms` process and the newest block it printed. */
class NvidiaLoop implements Backend {
  #config: Resolved;
  #latest: GpuSample[] | null = null;
  #error: string | null = null;
  #child: Deno.ChildProcess | null = null;
  #closing = new AbortController();
  #waiters = new Set<() => void>();
  #supervisor: Promise<void> = Promise.resolve();

  constructor(config: Resolved) {
    this.#config = config;
  }

  /** Spawns nvidia-smi and supervises it; when `orMissing`, returns `undefined` instead if it is not installed. */
  static start(config: Resolved, orMissing: boolean): NvidiaLoop | undefined {
    const loop = new NvidiaLoop(config);
    let child: Deno.ChildProcess | null;
    try {
      child = loop.#spawn();
    } catch (error) {
      if (orMissing && isMissing(error)) return undefined;
      loop.#fail(`Cannot run ${config.nvidiaSmi}: ${(error as Error).message}`);
      child = null;
    }
    loop.#supervisor = loop.#supervise(child);
    return loop;
  }

  async read(): Promise<GpuReport> {
    if (this.#latest === null && this.#error === null) {
      await this.#changed(this.#config.firstSampleTimeoutMs);
    }
    if (this.#latest) return { source: "nvidia-smi", gpus: this.#latest, error: null };
    return {
      source: "nvidia-smi",
      gpus: [],
      error: this.#error ??
        `nvidia-smi printed no sample within ${this.#config.firstSampleTimeoutMs} ms`,
    };
  }

  async close(): Promise<void> {
    this.#closing.abort();
    try {
      this.#child?.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await this.#supervisor;
    this.#notify();
  }

  #spawn(): Deno.ChildProcess {
    return new Deno.Command(this.#config.nvidiaSmi, {
      args: nvidiaSmiArgs(this.#config.intervalMs),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  }

  async #supervise(first: Deno.ChildProcess | null): Promise<void> {
    const { restartMinMs, restartMaxMs } = this.#config;
    const closing = this.#closing.signal;
    let child = first;
    let delay = restartMinMs;
    for (;;) {
      if (child) {
        if (await this.#watch(child)) delay = restartMinMs;
      }
      if (closing.aborted) return;
      await sleep(delay, closing);
      if (closing.aborted) return;
      delay = Math.min(delay * 2, restartMaxMs);
      try {
        child = this.#spawn();
      } catch (error) {
        this.#fail(`Cannot run ${this.#config.nvidiaSmi}: ${(error as Error).message}`);
        child = null;
      }
    }
  }

  /** Follows one process to its exit; true when it printed at least one block. */
  async #watch(child: Deno.ChildProcess): Promise<boolean> {
    this.#child = child;
    const stream = new NvidiaSmiStream();
    const stop = new AbortController();
    const closing = this.#closing.signal;
    const onClose = () => stop.abort();
    closing.addEventListener("abort", onClose);
    let stderr = "";
    let produced = false;
    const pumps = Promise.all([
      pump(child.stdout, (text) => {
        const blocks = stream.push(text);
        if (blocks.length === 0) return;
        produced = true;
        this.#latest = blocks.at(-1)!;
        this.#error = null;
        this.#notify();
      }, stop.signal),
      pump(child.stderr, (text) => {
        if (stderr.length < 4096) stderr += text;
      }, stop.signal),
    ]);
    const status = await child.status;
    this.#child = null;
    // A grandchild may still hold the pipes open: give the last bytes a moment, then cut them.
    await Promise.race([pumps, sleep(200, stop.signal)]);
    stop.abort();
    await pumps;
    closing.removeEventListener("abort", onClose);
    if (!closing.aborted) {
      const exit = status.signal ? `signal ${status.signal}` : `code ${status.code}`;
      const why = firstLine(stderr) ?? stream.rejected;
      this.#fail(`nvidia-smi exited with ${exit}${why ? `: ${why}` : ""}`);
    }
    return produced;
  }

  #fail(reason: string) {
    this.#latest = null;
    this.#error = reason;
    this.#notify();
  }

  #notify() {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Waits until the state changes or `ms` pass. */
  async #changed(ms: number): Promise<void> {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiters.add(resolve);
    const stop = new AbortController();
    void promise.then(() => stop.abort());
    await Promise.race([promise, sleep(ms, stop.signal)]);
    stop.abort();
    this.#waiters.delete(resolve);
  }
}

/** `rocm-smi --json`, run once per read; a read that finds one in flight shares it. */
class RocmSmi implements Backend {
  #config: Resolved;
  #inFlight: Promise<GpuReport> | undefined;
  /** Set when the last run found no rocm-smi to run. */
  missing = false;

  constructor(config: Resolved) {
    this.#config = config;
  }

  read(): Promise<GpuReport> {
    return this.#inFlight ??= this.#run().finally(() => this.#inFlight = undefined);
  }

  /** A read function that answers `first` once, then runs rocm-smi as usual. */
  firstThen(first: GpuReport): () => Promise<GpuReport> {
    let pending: GpuReport | undefined = first;
    return () => {
      const report = pending;
      pending = undefined;
      return report ? Promise.resolve(report) : this.read();
    };
  }

  async close(): Promise<void> {
    await this.#inFlight;
  }

  async #run(): Promise<GpuReport> {
    const { rocmSmi, timeoutMs } = this.#config;
    const report = (gpus: GpuSample[], error: string | null): GpuReport => ({
      source: "rocm-smi",
      gpus,
      error,
    });
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command(rocmSmi, {
        args: [...ROCM_SMI_ARGS],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: abort.signal,
      }).output();
    } catch (error) {
      this.missing = isMissing(error);
      if (abort.signal.aborted) return report([], `rocm-smi took longer than ${timeoutMs} ms`);
      return report([], `Cannot run ${rocmSmi}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
    this.missing = false;
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    if (abort.signal.aborted) return report([], `rocm-smi took longer than ${timeoutMs} ms`);
    try {
      // rocm-smi can exit non-zero after printing good JSON (one unsupported metric is enough).
      return report(parseRocmSmiJson(stdout), null);
    } catch (error) {
      const why = firstLine(stderr) ?? firstLine(stdout) ?? (error as Error).message;
      return report([], `rocm-smi exited with code ${output.code}: ${why}`);
    }
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** Reads every `/sys/class/drm/card<N>/device` that exists; non-AMD cards are dropped by the parser. */
export async function readAmdgpuSysfsCards(sysfsRoot: string): Promise<AmdgpuSysfsCard[]> {
  const drm = `${sysfsRoot}/class/drm`;
  const cards: AmdgpuSysfsCard[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(drm));
  } catch {
    return [];
  }
  for (const entry of entries) {
    const match = /^card(\d+)$/.exec(entry.name);
    if (!match) continue;
    const device = `${drm}/${entry.name}/device`;
    const vendor = await readText(`${device}/vendor`);
    const card: AmdgpuSysfsCard = { card: Number(match[1]), vendor };
    if (vendor?.trim().toLowerCase() !== "0x1002") {
      cards.push(card);
      continue;
    }
    card.device = await readText(`${device}/device`);
    card.productName = await readText(`${device}/product_name`);
    card.uniqueId = await readText(`${device}/unique_id`);
    card.memInfoVramTotal = await readText(`${device}/mem_info_vram_total`);
    card.memInfoVramUsed = await readText(`${device}/mem_info_vram_used`);
    card.gpuBusyPercent = await readText(`${device}/gpu_busy_percent`);
    const hwmon = await firstHwmon(`${device}/hwmon`);
    if (hwmon) {
      card.hwmon = {
        temp1Input: await readText(`${hwmon}/temp1_input`),
        temp2Input: await readText(`${hwmon}/temp2_input`),
        power1Average: await readText(`${hwmon}/power1_average`),
        power1Input: await readText(`${hwmon}/power1_input`),
        power1Cap: await readText(`${hwmon}/power1_cap`),
      };
    }
    cards.push(card);
  }
  return cards;
}

async function firstHwmon(dir: string): Promise<string | undefined> {
  try {
    const names = (await Array.fromAsync(Deno.readDir(dir)))
      .map((e) => e.name)
      .filter((n) => n.startsWith("hwmon"))
      .sort();
    return names[0] ? `${dir}/${names[0]}` : undefined;
  } catch {
    return undefined;
  }
}

async function readAmdgpu(sysfsRoot: string): Promise<GpuReport> {
  return {
    source: "amdgpu-sysfs",
    gpus: parseAmdgpuSysfs(await readAmdgpuSysfsCards(sysfsRoot)),
    error: null,
  };
}

/** The simulator's `/_sim/state` GPUs: `{ index, name, memory_total, memory_used }`. */
async function readSimulator(url: string, timeoutMs: number): Promise<GpuReport> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetch(`${url}/_sim/state`, { signal: abort.signal });
    if (!response.ok) {
      await response.body?.cancel();
      return simulatorError(`Cannot read ${url}/_sim/state: HTTP ${response.status}`);
    }
    const state = await response.json() as { gpus?: unknown };
    const list = Array.isArray(state.gpus) ? state.gpus as Record<string, unknown>[] : [];
    const num = (v: unknown) => typeof v === "number" && Number.isFinite(v) ? v : null;
    const gpus = list.map((g, i): GpuSample => {
      const index = num(g.index) ?? i;
      return {
        index,
        uuid: `SIM-${index}`,
        name: typeof g.name === "string" ? g.name : `Simulated GPU ${index}`,
        vendor: "simulated",
        memoryTotal: num(g.memory_total),
        memoryUsed: num(g.memory_used),
        utilization: num(g.utilization),
        temperature: num(g.temperature),
        powerDraw: num(g.power_draw),
        powerLimit: num(g.power_limit),
        mig: false,
      };
    });
    return { source: "simulator", gpus, error: null };
  } catch (error) {
    const why = abort.signal.aborted
      ? `no answer within ${timeoutMs} ms`
      : (error as Error).message;
    return simulatorError(`Cannot read ${url}/_sim/state: ${why}`);
  } finally {
    clearTimeout(timer);
  }
}

function simulatorError(message: string): GpuReport {
  return { source: "simulator", gpus: [], error: message };
}
