/**
 * Pure parsers for the Linux files the agent samples: `/proc/stat`, `/proc/meminfo`,
 * `/proc/loadavg`, `/proc/uptime`, `/proc/cpuinfo` and os-release. No I/O here: `host.ts` reads the
 * files and hands their text to these functions, so every branch is tested with captured text.
 *
 * Formats follow proc(5) and os-release(5). A file that lacks what we need throws `SyntaxError`
 * naming the file, e.g. `Cannot parse /proc/stat: no "cpu" line`.
 *
 * @module
 */

/** Cumulative CPU time from a `/proc/stat` `cpu` line, in USER_HZ ticks (usually 1/100 s). */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

/** What `/proc/stat` tells us: all CPUs' times together, and how many CPUs are online. */
export interface ProcStat {
  cpu: CpuTimes;
  /** The `cpuN` lines, one per online CPU (offline CPUs are not listed). */
  cpuCount: number;
}

/** Memory and swap from `/proc/meminfo`, in bytes. */
export interface Meminfo {
  memoryTotal: number;
  /** `MemAvailable`, or on kernels before 3.14 an estimate: `MemFree + Buffers + Cached`. */
  memoryAvailable: number;
  swapTotal: number;
  swapFree: number;
}

const CPU_FIELDS = [
  "user",
  "nice",
  "system",
  "idle",
  "iowait",
  "irq",
  "softirq",
  "steal",
] as const;

/** Parses `/proc/stat`: the aggregate `cpu` line and the number of `cpuN` lines. */
export function parseProcStat(text: string): ProcStat {
  let cpu: CpuTimes | undefined;
  let cpuCount = 0;
  // The cpu lines come first; stop at the first other line rather than walk the long `intr` line.
  let start = 0;
  while (start < text.length && text.startsWith("cpu", start)) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    if (line.startsWith("cpu ")) cpu = parseCpuLine(line);
    else cpuCount++;
  }
  if (cpu === undefined) throw new SyntaxError(`Cannot parse /proc/stat: no "cpu" line`);
  if (cpuCount === 0) throw new SyntaxError(`Cannot parse /proc/stat: no "cpuN" lines`);
  return { cpu, cpuCount };
}

function parseCpuLine(line: string): CpuTimes {
  const fields = line.slice(4).trim().split(/\s+/);
  // user nice system idle exist on every kernel; iowait, irq, softirq, steal came later (2.6.x).
  // guest and guest_nice (fields 9 and 10) are already counted in user and nice, so are left out.
  if (fields.length < 4) {
    throw new SyntaxError(`Cannot parse /proc/stat: "cpu" line has ${fields.length} fields`);
  }
  const times = {} as CpuTimes;
  for (const [i, name] of CPU_FIELDS.entries()) {
    const field = fields[i] ?? "0";
    const value = Number(field);
    if (!Number.isSafeInteger(value) || value < 0 || field === "") {
      throw new SyntaxError(`Cannot parse /proc/stat: "cpu" ${name} is "${field}"`);
    }
    times[name] = value;
  }
  return times;
}

/**
 * Returns the percent of CPU time spent busy between two `/proc/stat` readings, counting `idle` and
 * `iowait` as idle, or `null` when no time passed or the counters went backwards (a CPU went offline,
 * or the readings are out of order).
 */
export function cpuUtilization(prev: CpuTimes, next: CpuTimes): number | null {
  // iowait alone may decrease between readings (proc(5)), so only the idle and busy sums are checked.
  const idle = next.idle + next.iowait - (prev.idle + prev.iowait);
  const busy = busyTicks(next) - busyTicks(prev);
  if (idle < 0 || busy < 0 || idle + busy === 0) return null;
  return (busy / (idle + busy)) * 100;
}

function busyTicks(t: CpuTimes): number {
  return t.user + t.nice + t.system + t.irq + t.softirq + t.steal;
}

const MEMINFO_KEYS = new Set([
  "MemTotal",
  "MemFree",
  "MemAvailable",
  "Buffers",
  "Cached",
  "SwapTotal",
  "SwapFree",
]);

/** Parses `/proc/meminfo` into bytes, estimating `MemAvailable` on kernels that lack it. */
export function parseMeminfo(text: string): Meminfo {
  const kib = new Map<string, number>();
  let start = 0;
  // The keys we need are in the first twenty lines; stop once all are found.
  while (start < text.length && kib.size < MEMINFO_KEYS.size) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end);
    start = end + 1;
    const colon = line.indexOf(":");
    const key = line.slice(0, colon);
    if (colon === -1 || !MEMINFO_KEYS.has(key)) continue;
    const rest = line.slice(colon + 1).trim();
    const value = Number(rest.endsWith(" kB") ? rest.slice(0, -3) : rest);
    if (!Number.isSafeInteger(value) || value < 0 || rest === "") {
      throw new SyntaxError(`Cannot parse /proc/meminfo: ${key} is "${rest}"`);
    }
    kib.set(key, value);
  }
  const need = (key: string): number => {
    const value = kib.get(key);
    if (value === undefined) throw new SyntaxError(`Cannot parse /proc/meminfo: no ${key} line`);
    return value;
  };
  const total = need("MemTotal");
  const available = kib.get("MemAvailable") ??
    Math.min(total, need("MemFree") + (kib.get("Buffers") ?? 0) + (kib.get("Cached") ?? 0));
  return {
    memoryTotal: total * 1024,
    memoryAvailable: available * 1024,
    // A kernel built without swap support still prints zeros, but a missing line means no swap too.
    swapTotal: (kib.get("SwapTotal") ?? 0) * 1024,
    swapFree: (kib.get("SwapFree") ?? 0) * 1024,
  };
}

/** Parses `/proc/loadavg` into the 1, 5 and 15 minute load averages. */
export function parseLoadavg(text: string): [number, number, number] {
  const [one, five, fifteen] = text.trim().split(" ", 3).map(Number);
  if (![one, five, fifteen].every((n) => n !== undefined && Number.isFinite(n) && n >= 0)) {
    throw new SyntaxError(`Cannot parse /proc/loadavg: "${text.trim()}"`);
  }
  return [one!, five!, fifteen!];
}

/** Parses `/proc/uptime` into the seconds since boot. */
export function parseUptime(text: string): number {
  const first = text.trim().split(" ", 1)[0] ?? "";
  const seconds = Number(first);
  if (first === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new SyntaxError(`Cannot parse /proc/uptime: "${text.trim()}"`);
  }
  return seconds;
}

/**
 * Returns os-release's `PRETTY_NAME`, else `NAME VERSION`, else `"Linux"` (the default that
 * os-release(5) gives for both), with values unquoted by the shell rules that os-release(5) allows.
 */
export function parseOsRelease(text: string): string {
  const fields = new Map<string, string>();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    fields.set(line.slice(0, eq), unquoteShell(line.slice(eq + 1)));
  }
  const pretty = fields.get("PRETTY_NAME");
  if (pretty) return pretty;
  const name = fields.get("NAME");
  const version = fields.get("VERSION");
  if (name) return version ? `${name} ${version}` : name;
  return "Linux";
}

/**
 * Undoes shell quoting as os-release(5) allows it: `'…'` is literal; inside `"…"` a backslash escapes
 * only `$`, `` ` ``, `"` and `\`; outside quotes a backslash escapes any character.
 */
function unquoteShell(value: string): string {
  let out = "";
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else out += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && i + 1 < value.length && '$`"\\'.includes(value[i + 1]!)) {
        out += value[++i];
      } else out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === "\\" && i + 1 < value.length) {
      out += value[++i];
    } else out += c;
  }
  return out;
}

/** ARM CPU implementer and part codes as arm64 kernels print them, for the hosts we expect. */
const ARM_PARTS: Readonly<Record<string, string>> = {
  "0x41/0xd03": "ARM Cortex-A53",
  "0x41/0xd07": "ARM Cortex-A57",
  "0x41/0xd08": "ARM Cortex-A72",
  "0x41/0xd0b": "ARM Cortex-A76",
  "0x41/0xd0c": "ARM Neoverse-N1",
  "0x41/0xd40": "ARM Neoverse-V1",
  "0x41/0xd42": "ARM Cortex-A78AE",
  "0x41/0xd49": "ARM Neoverse-N2",
  "0x41/0xd4f": "ARM Neoverse-V2",
  "0x4e/0x004": "NVIDIA Carmel",
  "0xc0/0xac3": "Ampere-1",
  "0xc0/0xac4": "Ampere-1a",
};

/**
 * Returns the CPU model from `/proc/cpuinfo`: x86's `model name`, else a `Hardware` line, else an
 * arm64 name looked up from `CPU implementer` and `CPU part` (or the raw codes), else `null`.
 */
export function parseCpuModel(cpuinfo: string): string | null {
  let hardware: string | undefined;
  let implementer: string | undefined;
  let part: string | undefined;
  let start = 0;
  while (start < cpuinfo.length) {
    let end = cpuinfo.indexOf("\n", start);
    if (end === -1) end = cpuinfo.length;
    const line = cpuinfo.slice(start, end);
    start = end + 1;
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (value === "") continue;
    if (key === "model name") return value.replace(/\s+/g, " ");
    if (key === "Hardware") hardware ??= value;
    else if (key === "CPU implementer") implementer ??= value.toLowerCase();
    else if (key === "CPU part") part ??= value.toLowerCase();
  }
  if (hardware !== undefined) return hardware;
  if (implementer !== undefined && part !== undefined) {
    return ARM_PARTS[`${implementer}/${part}`] ?? `CPU implementer ${implementer} part ${part}`;
  }
  return null;
}
