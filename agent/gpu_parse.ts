/**
 * Pure parsers for what the GPU tools print: `nvidia-smi --query-gpu` CSV (one shot and loop mode),
 * `rocm-smi --json`, and the amdgpu files under `/sys/class/drm`. No I/O here: `agent/gpu.ts` runs
 * the tools and hands their text to these functions.
 *
 * Every parser turns a value the tool cannot give (`[N/A]`, `[Not Supported]`, `N/A (Secondary
 * die)`, a missing file) into `null`, never `0`: a dashboard must tell "idle" from "unknown".
 *
 * @module
 */

import type { GpuSample } from "../shared/protocol.ts";

/**
 * The `--query-gpu=` fields the agent asks `nvidia-smi` for, in output order.
 *
 * - `count` is on every line so that loop mode can end a block as soon as its last GPU arrives.
 * - `name` sits between fixed fields, so commas inside a name cannot shift the others.
 * - `power.draw`, not `power.draw.instant`/`.average`: those two only exist on recent drivers, and
 *   one unknown field fails the whole query. On Ampere and newer `power.draw` is a 1 s average.
 * - `mig.mode.current` prints `Enabled`, `Disabled`, or `[N/A]` on GPUs without MIG.
 */
export const NVIDIA_QUERY: readonly string[] = Object.freeze([
  "index",
  "count",
  "uuid",
  "name",
  "memory.total",
  "memory.used",
  "utilization.gpu",
  "temperature.gpu",
  "power.draw",
  "power.limit",
  "mig.mode.current",
]);

const NAME_AT = NVIDIA_QUERY.indexOf("name");
const MIB = 1024 * 1024;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** A number, or `null` for anything the tool put in brackets or spelled `N/A`. */
function nvidiaNumber(raw: string, field: string, where: string): number | null {
  if (raw.startsWith("[") || raw === "N/A" || raw === "") return null;
  if (!NUMBER.test(raw)) {
    throw new SyntaxError(`Cannot parse nvidia-smi ${where}: ${field} is "${raw}", not a number`);
  }
  return Number(raw);
}

function nvidiaInteger(raw: string, field: string, where: string): number {
  if (!/^\d+$/.test(raw)) {
    throw new SyntaxError(`Cannot parse nvidia-smi ${where}: ${field} is "${raw}", not an integer`);
  }
  return Number(raw);
}

interface NvidiaLine {
  sample: GpuSample;
  /** The `count` column: how many GPUs the block this line belongs to has. */
  count: number;
}

/** Parses one non-blank line of `NVIDIA_QUERY` output; `lineNumber` is 1-based, for messages. */
function parseNvidiaLine(line: string, lineNumber: number): NvidiaLine {
  const where = `line ${lineNumber}`;
  const parts = line.split(",");
  const extra = parts.length - NVIDIA_QUERY.length;
  if (extra < 0) {
    throw new SyntaxError(
      `Cannot parse nvidia-smi ${where}: found ${parts.length} of ${NVIDIA_QUERY.length} fields in "${
        line.slice(0, 120)
      }"`,
    );
  }
  // Extra commas can only come from the name: the fields before and after it are fixed.
  const name = parts.slice(NAME_AT, NAME_AT + extra + 1).join(",").trim();
  const fields = [...parts.slice(0, NAME_AT), name, ...parts.slice(NAME_AT + extra + 1)]
    .map((field) => field.trim());
  const value = (field: string) => fields[NVIDIA_QUERY.indexOf(field)]!;
  const number = (field: string) => nvidiaNumber(value(field), field, where);
  const mib = (field: string) => {
    const n = number(field);
    return n === null ? null : n * MIB;
  };
  const index = nvidiaInteger(value("index"), "index", where);
  const uuid = value("uuid");
  return {
    count: nvidiaInteger(value("count"), "count", where),
    sample: {
      index,
      uuid: uuid.startsWith("[") || uuid === "" ? null : uuid,
      name: name.startsWith("[") || name === "" ? `NVIDIA GPU ${index}` : name,
      vendor: "nvidia",
      memoryTotal: mib("memory.total"),
      memoryUsed: mib("memory.used"),
      utilization: number("utilization.gpu"),
      temperature: number("temperature.gpu"),
      powerDraw: number("power.draw"),
      powerLimit: number("power.limit"),
      mig: value("mig.mode.current") === "Enabled",
    },
  };
}

/** Splits text into lines without their CR, keeping 1-based numbers and dropping blank lines. */
function* numberedLines(text: string, first = 1): Generator<[string, number]> {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, "");
    if (line.trim() !== "") yield [line, first + i];
  }
}

/**
 * Parses `nvidia-smi --query-gpu=<NVIDIA_QUERY> --format=csv,noheader,nounits` output into samples,
 * memory in bytes; throws a `SyntaxError` naming the line for anything that is not such a line.
 *
 * @example
 * ```ts
 * const [gpu] = parseNvidiaSmiCsv(
 *   "0, 1, GPU-1c2d, NVIDIA GeForce RTX 4090, 24564, 812, 3, 41, 22.14, 450.00, [N/A]\n",
 * );
 * gpu!.memoryTotal; // 24564 * 1024 * 1024
 * ```
 */
export function parseNvidiaSmiCsv(text: string): GpuSample[] {
  return [...numberedLines(text)].map(([line, n]) => parseNvidiaLine(line, n).sample);
}

/**
 * Splits the endless output of `nvidia-smi --query-gpu=... -lms <ms>` into one block of samples per
 * interval, as chunks arrive.
 *
 * nvidia-smi prints one line per GPU per interval with no separator. A block ends as soon as it
 * holds `count` lines (so the newest block is never held back an interval), or when the index goes
 * back to or below the previous line's (so a GPU that stopped answering cannot stall the stream).
 * Lines that are not samples (e.g. `Unable to determine the device handle for GPU...`) are skipped
 * and kept in {@link NvidiaSmiStream.rejected}.
 */
export class NvidiaSmiStream {
  #partial = "";
  #lineNumber = 0;
  #block: GpuSample[] = [];
  #rejected: string | null = null;

  /** The last line that was not a sample, such as a driver error, or `null`. */
  get rejected(): string | null {
    return this.#rejected;
  }

  /** Feeds a chunk of stdout; returns the blocks it completed, oldest first. */
  push(chunk: string): GpuSample[][] {
    const text = this.#partial + chunk;
    const end = text.lastIndexOf("\n");
    if (end === -1) {
      this.#partial = text;
      return [];
    }
    this.#partial = text.slice(end + 1);
    return this.#lines(text.slice(0, end + 1));
  }

  /** Ends the input: returns the block in progress, if any, as complete. */
  end(): GpuSample[][] {
    const done = this.#lines(this.#partial);
    this.#partial = "";
    if (this.#block.length > 0) done.push(this.#block);
    this.#block = [];
    return done;
  }

  #lines(text: string): GpuSample[][] {
    const done: GpuSample[][] = [];
    const first = this.#lineNumber + 1;
    this.#lineNumber += text.split("\n").length - 1;
    for (const [line, n] of numberedLines(text, first)) {
      let parsed: NvidiaLine;
      try {
        parsed = parseNvidiaLine(line, n);
      } catch {
        this.#rejected = line.trim().slice(0, 200);
        continue;
      }
      const previous = this.#block.at(-1);
      if (previous && parsed.sample.index <= previous.index) {
        done.push(this.#block);
        this.#block = [];
      }
      this.#block.push(parsed.sample);
      if (this.#block.length >= parsed.count) {
        done.push(this.#block);
        this.#block = [];
      }
    }
    return done;
  }
}

/** `"42.0"` or `42` as a number; `"N/A"`, `"N/A (Secondary die)"` or anything else as `null`. */
function rocmNumber(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : null;
}

function rocmString(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" || trimmed.startsWith("N/A") ? null : trimmed;
}

/** The first key present with a usable value; rocm-smi renames keys between ROCm releases. */
function firstOf<T>(
  card: Record<string, unknown>,
  keys: string[],
  read: (v: unknown) => T | null,
): T | null {
  for (const key of keys) {
    const value = read(card[key]);
    if (value !== null) return value;
  }
  return null;
}

/**
 * Parses `rocm-smi --showid --showproductname --showuniqueid --showmeminfo vram --showuse --showtemp
 * --showpower --showmaxpower --json` output; skips `system` and any text printed before the JSON.
 *
 * Temperature is the edge sensor when the card has one, else the junction (hotspot) sensor: edge is
 * what `nvidia-smi`'s `temperature.gpu` compares with, so one alert threshold fits both vendors;
 * MI300-class parts have no edge sensor and report junction only.
 *
 * Key spellings seen across ROCm releases: `Card series` (6.0) and `Card Series` (6.1+);
 * `Average Graphics Package Power (W)` (older and RDNA) and `Current Socket Graphics Package Power
 * (W)` (MI300, newer releases).
 *
 * @throws {SyntaxError} When the text holds no JSON object.
 */
export function parseRocmSmiJson(text: string): GpuSample[] {
  const start = text.search(/^\s*\{/m);
  const end = text.lastIndexOf("}");
  if (start === -1 || end < start) {
    throw new SyntaxError(
      `Cannot parse rocm-smi output: no JSON object in "${text.slice(0, 120)}"`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text.slice(start, end + 1));
  } catch (error) {
    throw new SyntaxError(`Cannot parse rocm-smi output: ${(error as Error).message}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new SyntaxError("Cannot parse rocm-smi output: the JSON is not an object");
  }
  const gpus: GpuSample[] = [];
  for (const [key, raw] of Object.entries(data)) {
    const match = /^card(\d+)$/.exec(key);
    if (!match || typeof raw !== "object" || raw === null) continue;
    const card = raw as Record<string, unknown>;
    const index = Number(match[1]);
    gpus.push({
      index,
      uuid: firstOf(card, ["Unique ID"], rocmString),
      name: firstOf(
        card,
        ["Card Series", "Card series", "Device Name", "Card Model", "Card model"],
        rocmString,
      ) ?? `AMD GPU ${index}`,
      vendor: "amd",
      memoryTotal: rocmNumber(card["VRAM Total Memory (B)"]),
      memoryUsed: rocmNumber(card["VRAM Total Used Memory (B)"]),
      utilization: rocmNumber(card["GPU use (%)"]),
      temperature: firstOf(
        card,
        ["Temperature (Sensor edge) (C)", "Temperature (Sensor junction) (C)"],
        rocmNumber,
      ),
      powerDraw: firstOf(
        card,
        ["Average Graphics Package Power (W)", "Current Socket Graphics Package Power (W)"],
        rocmNumber,
      ),
      powerLimit: rocmNumber(card["Max Graphics Package Power (W)"]),
      mig: false,
    });
  }
  return gpus.sort((a, b) => a.index - b.index);
}

/**
 * One DRM card as read from `/sys/class/drm/card<N>/device`: each file's raw text, absent when the
 * file is missing or unreadable. Units are the kernel's: bytes, millidegrees, microwatts.
 */
export interface AmdgpuSysfsCard {
  /** N in `/sys/class/drm/card<N>`. */
  card: number;
  /** `device/vendor`, e.g. `0x1002` for AMD. */
  vendor?: string;
  /** `device/device`, the PCI device id, e.g. `0x744c`; names the card when `product_name` is absent. */
  device?: string;
  productName?: string;
  uniqueId?: string;
  memInfoVramTotal?: string;
  memInfoVramUsed?: string;
  gpuBusyPercent?: string;
  /** From the card's `device/hwmon/hwmon<M>/` directory. */
  hwmon?: {
    /** Edge temperature. */
    temp1Input?: string;
    /** Junction temperature, used when there is no edge sensor. */
    temp2Input?: string;
    /** Average power (older kernels and GPUs). */
    power1Average?: string;
    /** Current power (newer kernels and GPUs that have no average). */
    power1Input?: string;
    power1Cap?: string;
  };
}

function sysfsNumber(raw: string | undefined, scale = 1): number | null {
  const trimmed = raw?.trim();
  if (trimmed === undefined || !NUMBER.test(trimmed)) return null;
  return Number(trimmed) / scale;
}

/** Turns amdgpu sysfs readings into samples, keeping only AMD cards (vendor `0x1002`). */
export function parseAmdgpuSysfs(cards: AmdgpuSysfsCard[]): GpuSample[] {
  return cards
    .filter((c) => c.vendor?.trim().toLowerCase() === "0x1002")
    .sort((a, b) => a.card - b.card)
    .map((c) => {
      const device = c.device?.trim();
      return {
        index: c.card,
        uuid: c.uniqueId?.trim() || null,
        name: c.productName?.trim() || (device ? `AMD GPU ${device}` : `AMD GPU ${c.card}`),
        vendor: "amd",
        memoryTotal: sysfsNumber(c.memInfoVramTotal),
        memoryUsed: sysfsNumber(c.memInfoVramUsed),
        utilization: sysfsNumber(c.gpuBusyPercent),
        temperature: sysfsNumber(c.hwmon?.temp1Input, 1000) ??
          sysfsNumber(c.hwmon?.temp2Input, 1000),
        powerDraw: sysfsNumber(c.hwmon?.power1Average, 1e6) ??
          sysfsNumber(c.hwmon?.power1Input, 1e6),
        powerLimit: sysfsNumber(c.hwmon?.power1Cap, 1e6),
        mig: false,
      };
    });
}
