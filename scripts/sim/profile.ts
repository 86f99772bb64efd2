/**
 * A simulated machine: its GPUs, memory, disk and network, the Ollama settings it runs with, and the
 * models it has on disk. Built-in presets, a YAML file, or flags; resolved once into a frozen,
 * fully-defaulted {@link Profile}.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { parseGoDuration } from "../../shared/duration.ts";
import { modelKey, normalizeModelName } from "../../shared/model_name.ts";
import { customSpec, findInCatalogue, type ModelSpec } from "./catalogue.ts";

/** One simulated GPU. */
export interface GpuProfile {
  name: string;
  /** Bytes of VRAM. */
  vram: number;
  /** Memory bandwidth in bytes per second: decode speed follows it. */
  bandwidth: number;
}

/** A fully resolved machine profile. */
export interface Profile {
  name: string;
  /** The version `/api/version` reports. */
  version: string;
  gpus: GpuProfile[];
  /** Bytes of system memory. */
  ram: number;
  /** System memory bandwidth, bytes per second: the speed of layers that spill to the CPU. */
  ramBandwidth: number;
  /** Cold read rate of the models directory, bytes per second. */
  diskRead: number;
  /** Read rate of a model already in the page cache, bytes per second. */
  cacheRead: number;
  /** Pull download rate, bytes per second. */
  network: number;
  /** Fixed cost of starting a runner, milliseconds. */
  loadBaseMs: number;
  /** `OLLAMA_NUM_PARALLEL`. */
  numParallel: number;
  /** `OLLAMA_MAX_LOADED_MODELS`; 0 means 3 per GPU (3 on a CPU-only box). */
  maxLoadedModels: number;
  /** `OLLAMA_MAX_QUEUE`. */
  maxQueue: number;
  /** `OLLAMA_KEEP_ALIVE` in milliseconds; `Infinity` keeps models forever. */
  keepAliveMs: number;
  /** `OLLAMA_CONTEXT_LENGTH`; 0 picks by VRAM as Ollama does. */
  contextLength: number;
  /** Natural reply length range in tokens, before `num_predict` cuts it. */
  replyTokens: [number, number];
  /** Models on disk at start, by display name. */
  models: string[];
  /** Models the profile describes itself (on disk at start, and pullable). */
  customModels: ModelSpec[];
  /** Models to load at start. */
  preload: string[];
}

const GIB = 1024 ** 3;

const DEFAULTS: Omit<Profile, "name" | "gpus" | "models" | "customModels"> = {
  version: "0.33.0",
  ram: 64 * GIB,
  ramBandwidth: 80e9,
  diskRead: 2e9,
  cacheRead: 10e9,
  network: 100e6,
  loadBaseMs: 1200,
  numParallel: 1,
  maxLoadedModels: 0,
  maxQueue: 512,
  keepAliveMs: 5 * 60_000,
  contextLength: 0,
  replyTokens: [24, 160],
  preload: [],
};

type Preset = Partial<Profile> & Pick<Profile, "gpus" | "models">;

const rtx4090: GpuProfile = { name: "NVIDIA GeForce RTX 4090", vram: 24 * GIB, bandwidth: 1008e9 };
const rtx3090: GpuProfile = { name: "NVIDIA GeForce RTX 3090", vram: 24 * GIB, bandwidth: 936e9 };
const rtx3060: GpuProfile = { name: "NVIDIA GeForce RTX 3060", vram: 12 * GIB, bandwidth: 360e9 };
const a100: GpuProfile = { name: "NVIDIA A100-SXM4-80GB", vram: 80 * GIB, bandwidth: 2039e9 };
const l4: GpuProfile = { name: "NVIDIA L4", vram: 24 * GIB, bandwidth: 300e9 };

/** Built-in machine presets, by name. */
export const PRESETS: Readonly<Record<string, Preset>> = {
  rtx4090: {
    gpus: [rtx4090],
    models: ["qwen3:8b", "llama3.2:3b", "gemma3:4b", "nomic-embed-text:latest"],
  },
  "dual-3090": {
    gpus: [rtx3090, rtx3090],
    ram: 128 * GIB,
    models: ["qwen3:32b", "qwen3:8b", "llama3.1:8b", "deepseek-r1:14b", "nomic-embed-text:latest"],
  },
  rtx3060: {
    gpus: [rtx3060],
    ram: 32 * GIB,
    diskRead: 500e6,
    models: ["llama3.2:3b", "qwen3:4b", "all-minilm:latest"],
  },
  a100: {
    gpus: [a100],
    ram: 256 * GIB,
    diskRead: 4e9,
    network: 1e9,
    numParallel: 4,
    models: ["llama3.3:70b", "gpt-oss:20b", "qwen3:30b", "qwen3:8b", "mxbai-embed-large:latest"],
  },
  l4: {
    gpus: [l4],
    models: ["qwen3:8b", "gemma3:12b", "nomic-embed-text:latest"],
  },
  cpu: {
    gpus: [],
    ram: 32 * GIB,
    ramBandwidth: 60e9,
    diskRead: 1e9,
    models: ["qwen3:0.6b", "llama3.2:1b", "all-minilm:latest"],
  },
};

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: GIB,
  tib: 1024 ** 4,
};

/**
 * Parses a byte size such as `24GiB`, `500 MB` or a plain number of bytes.
 *
 * @throws {SyntaxError} When the text is not a size.
 */
export function parseSize(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  const match = typeof value === "string"
    ? /^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(value)
    : null;
  const scale = match && SIZE_UNITS[(match[2] ?? "").toLowerCase()];
  if (!match || scale === undefined || scale === null) {
    throw new SyntaxError(`Cannot read ${JSON.stringify(value)} as a size: use e.g. "24GiB"`);
  }
  return Number(match[1]) * scale;
}

/** Parses a rate such as `2GB/s` (the `/s` is optional) into bytes per second. */
export function parseRate(value: unknown): number {
  return parseSize(typeof value === "string" ? value.replace(/\/s\s*$/i, "") : value);
}

/** The raw, partial profile as written in YAML or built from flags. */
export type ProfileInput = Record<string, unknown>;

const KEYS: Readonly<Record<string, (v: unknown) => unknown>> = {
  name: requireString,
  version: requireString,
  ram: parseSize,
  ram_bandwidth: parseRate,
  disk_read: parseRate,
  cache_read: parseRate,
  network: parseRate,
  load_base: (v) => typeof v === "number" ? v : parseGoDuration(requireString(v)),
  num_parallel: (v) => positiveInt(v, 1),
  max_loaded_models: (v) => positiveInt(v, 0),
  max_queue: (v) => positiveInt(v, 0),
  keep_alive: (v) => {
    // OLLAMA_KEEP_ALIVE takes a Go duration or whole seconds.
    const seconds = typeof v === "number" ? v : /^-?\d+$/.test(String(v)) ? Number(v) : undefined;
    const ms = seconds !== undefined ? seconds * 1000 : parseGoDuration(requireString(v));
    return ms < 0 ? Infinity : ms;
  },
  context_length: (v) => positiveInt(v, 0),
  reply_tokens: (v) => {
    if (!Array.isArray(v) || v.length !== 2) throw new TypeError("must be [min, max]");
    const [min, max] = v.map((x) => positiveInt(x, 1));
    if (min! > max!) throw new RangeError("min must not exceed max");
    return [min, max];
  },
  gpus: (v) => {
    if (!Array.isArray(v)) throw new TypeError("must be a list");
    return v.map((gpu, i) => {
      if (typeof gpu !== "object" || gpu === null) throw new TypeError(`[${i}] must be a map`);
      const g = gpu as Record<string, unknown>;
      return {
        name: typeof g.name === "string" ? g.name : `GPU ${i}`,
        vram: parseSize(g.vram),
        bandwidth: g.bandwidth === undefined ? 500e9 : parseRate(g.bandwidth),
      };
    });
  },
  // Checked against `models` once both are read.
  preload: (v) => listOf(v).map(displayNameOf),
};

const CAMEL: Readonly<Record<string, keyof Profile>> = {
  ram_bandwidth: "ramBandwidth",
  disk_read: "diskRead",
  cache_read: "cacheRead",
  load_base: "loadBaseMs",
  num_parallel: "numParallel",
  max_loaded_models: "maxLoadedModels",
  max_queue: "maxQueue",
  keep_alive: "keepAliveMs",
  context_length: "contextLength",
  reply_tokens: "replyTokens",
};

function requireString(v: unknown): string {
  if (typeof v !== "string") throw new TypeError("must be a string");
  return v;
}

function positiveInt(v: unknown, min: number): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min) {
    throw new RangeError(`must be an integer >= ${min}: current value is ${JSON.stringify(v)}`);
  }
  return n;
}

function listOf(v: unknown): unknown[] {
  const list = typeof v === "string" ? v.split(",").map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(list)) throw new TypeError("must be a list of model names");
  return list;
}

/** A model name in Ollama's display form, or a RangeError naming the bad value. */
function displayNameOf(name: unknown): string {
  const display = typeof name === "string" ? normalizeModelName(name) : undefined;
  if (!display) throw new RangeError(`${JSON.stringify(name)} is not a model name`);
  return display;
}

function catalogueName(name: unknown): string {
  const display = displayNameOf(name);
  if (!findInCatalogue(display)) {
    throw new RangeError(`${JSON.stringify(name)} is not in the simulator's catalogue`);
  }
  return display;
}

/** `models:` entries are catalogue names or maps that describe a model (see `customSpec`). */
function readModels(v: unknown): { models: string[]; customModels: ModelSpec[] } {
  const customModels: ModelSpec[] = [];
  const models = listOf(v).map((entry, i) => {
    if (typeof entry !== "object" || entry === null) return catalogueName(entry);
    try {
      const raw = entry as Record<string, unknown>;
      const name = displayNameOf(raw.name ?? "");
      const size = raw.size === undefined ? undefined : parseSize(raw.size);
      const spec = customSpec({ ...raw, name, size });
      customModels.push(spec);
      return spec.name;
    } catch (error) {
      throw new TypeError(`[${i}] ${(error as Error).message}`);
    }
  });
  return { models, customModels };
}

/** The spec of a model the profile can have: its own description first, then the catalogue. */
export function specFor(profile: Profile, name: string): ModelSpec | undefined {
  const key = modelKey(name);
  const own = profile.customModels.find((m) => modelKey(m.name) === key);
  return own ? { ...own } : findInCatalogue(normalizeModelName(name) ?? name);
}

/**
 * Resolves a profile: a preset (default `rtx4090`), then a YAML document, then flag overrides.
 * Every problem is collected and reported in one throw.
 *
 * @param options.preset A key of {@link PRESETS}.
 * @param options.yaml The text of a profile YAML file.
 * @param options.overrides Keys as in YAML (`num_parallel`, `models`, ...), e.g. from flags.
 * @throws {TypeError} Listing every bad field with its path.
 */
export function resolveProfile(
  options: { preset?: string; yaml?: string; overrides?: ProfileInput } = {},
): Profile {
  const problems: string[] = [];
  let input: ProfileInput = {};
  if (options.yaml !== undefined) {
    try {
      const doc = parseYaml(options.yaml) ?? {};
      if (typeof doc !== "object" || Array.isArray(doc)) throw new TypeError("must be a map");
      input = doc as ProfileInput;
    } catch (error) {
      problems.push(`profile file: ${(error as Error).message}`);
    }
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) input = { ...input, [key]: value }; // a flag left out keeps the YAML
  }
  const presetName = options.preset ??
    (typeof input.preset === "string" ? input.preset : "rtx4090");
  const preset = PRESETS[presetName];
  if (!preset) {
    problems.push(
      `preset: unknown ${JSON.stringify(presetName)}, use one of ${
        Object.keys(PRESETS).join(", ")
      }`,
    );
  }
  const resolved: Record<string, unknown> = {
    ...DEFAULTS,
    name: presetName,
    customModels: [],
    ...preset,
  };
  if (input.models !== undefined) {
    try {
      Object.assign(resolved, readModels(input.models));
    } catch (error) {
      problems.push(`models: ${(error as Error).message}`);
    }
  }
  for (const [key, value] of Object.entries(input)) {
    if (key === "preset" || key === "models" || value === undefined) continue;
    const read = KEYS[key];
    if (!read) {
      problems.push(`${key}: unknown setting`);
      continue;
    }
    try {
      resolved[CAMEL[key] ?? key] = read(value);
    } catch (error) {
      problems.push(`${key}: ${(error as Error).message}`);
    }
  }
  const profile = resolved as unknown as Profile;
  for (const name of profile.preload ?? []) {
    if (!profile.models.includes(name)) problems.push(`preload: ${name} is not among models`);
  }
  if (problems.length > 0) {
    throw new TypeError(`Cannot load the simulator profile: ${problems.join("; ")}`);
  }
  return Object.freeze(profile);
}
