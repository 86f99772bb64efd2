/**
 * The models a simulated host can have on disk or pull: real names from the Ollama library with
 * their real sizes (bytes of all manifest layers), architectures and capabilities, so that memory
 * accounting, load times and decode rates come out as they would on a real box.
 *
 * @module
 */

import type { Capability } from "../../shared/ollama.ts";

/** What the simulator knows about one model. */
export interface ModelSpec {
  /** Display name with tag, e.g. `qwen3:8b`. */
  name: string;
  /** The catalogue entry the weights come from: models that share it share blobs. */
  source: string;
  /** Bytes on disk: the sum of the manifest's layers. */
  size: number;
  /** GGUF `general.architecture`, also the `details.family`. */
  family: string;
  families?: string[];
  /** Human parameter count as Ollama shows it, e.g. `8.2B`. */
  parameterSize: string;
  /** Parameter count as a number, for `general.parameter_count`. */
  parameterCount: number;
  quantization: string;
  format?: "gguf" | "safetensors";
  contextLength: number;
  embeddingLength: number;
  blockCount: number;
  headCount: number;
  headCountKv: number;
  capabilities: Capability[];
  license?: string;
  /** Parent model for derived models (`/api/create` with `from`). */
  parentModel?: string;
  /** System prompt baked into the model's Modelfile. */
  system?: string;
  /** Parameters baked into the Modelfile, one `key value` per entry. */
  parameters?: Record<string, unknown>;
}

type Row = [
  name: string,
  size: number,
  family: string,
  parameterSize: string,
  parameterCount: number,
  quantization: string,
  contextLength: number,
  embeddingLength: number,
  blockCount: number,
  headCount: number,
  headCountKv: number,
  capabilities: Capability[],
];

const CHAT: Capability[] = ["completion"];
const TOOLS: Capability[] = ["completion", "tools"];
const THINK: Capability[] = ["completion", "tools", "thinking"];
const EMBED: Capability[] = ["embedding"];
const VISION: Capability[] = ["completion", "vision"];
const REASON: Capability[] = ["completion", "thinking"];
const CODE: Capability[] = ["completion", "tools", "insert"];

// Sizes and shapes as published in the Ollama library (rounded where the library rounds).
// deno-fmt-ignore
const ROWS: Row[] = [
  ["qwen3:0.6b", 522_653_767, "qwen3", "751.63M", 751_632_384, "Q4_K_M", 40960, 1024, 28, 16, 8, THINK],
  ["qwen3:1.7b", 1_359_293_444, "qwen3", "2.0B", 2_031_739_904, "Q4_K_M", 40960, 2048, 28, 16, 8, THINK],
  ["qwen3:4b", 2_497_293_918, "qwen3", "4.0B", 4_022_468_096, "Q4_K_M", 40960, 2560, 36, 32, 8, THINK],
  ["qwen3:8b", 5_225_376_047, "qwen3", "8.2B", 8_190_735_360, "Q4_K_M", 40960, 4096, 36, 32, 8, THINK],
  ["qwen3:14b", 9_276_198_565, "qwen3", "14.8B", 14_768_307_200, "Q4_K_M", 40960, 5120, 40, 40, 8, THINK],
  ["qwen3:30b", 18_556_701_140, "qwen3moe", "30.5B", 30_532_122_624, "Q4_K_M", 262144, 2048, 48, 32, 4, THINK],
  ["qwen3:32b", 20_201_253_588, "qwen3", "32.8B", 32_762_123_264, "Q4_K_M", 40960, 5120, 64, 64, 8, THINK],
  ["llama3.2:1b", 1_321_098_329, "llama", "1.2B", 1_235_814_432, "Q8_0", 131072, 2048, 16, 32, 8, TOOLS],
  ["llama3.2:3b", 2_019_393_189, "llama", "3.2B", 3_212_749_888, "Q4_K_M", 131072, 3072, 28, 24, 8, TOOLS],
  ["llama3.1:8b", 4_920_753_328, "llama", "8.0B", 8_030_261_248, "Q4_K_M", 131072, 4096, 32, 32, 8, TOOLS],
  ["llama3.3:70b", 42_520_413_916, "llama", "70.6B", 70_553_706_496, "Q4_K_M", 131072, 8192, 80, 64, 8, TOOLS],
  ["gemma3:1b", 815_319_791, "gemma3", "999.89M", 999_885_952, "Q4_K_M", 32768, 1152, 26, 4, 1, CHAT],
  ["gemma3:4b", 3_338_801_804, "gemma3", "4.3B", 4_300_079_472, "Q4_K_M", 131072, 2560, 34, 8, 4, VISION],
  ["gemma3:12b", 8_149_190_253, "gemma3", "12.2B", 12_187_079_280, "Q4_K_M", 131072, 3840, 48, 16, 8, VISION],
  ["gemma3:27b", 17_396_936_887, "gemma3", "27.4B", 27_432_406_640, "Q4_K_M", 131072, 5376, 62, 32, 16, VISION],
  ["mistral:7b", 4_372_824_384, "llama", "7.2B", 7_248_023_552, "Q4_K_M", 32768, 4096, 32, 32, 8, TOOLS],
  ["phi4:14b", 9_053_116_391, "phi3", "14.7B", 14_659_507_200, "Q4_K_M", 16384, 5120, 40, 40, 10, CHAT],
  ["deepseek-r1:8b", 5_225_376_047, "qwen3", "8.2B", 8_190_735_360, "Q4_K_M", 131072, 4096, 36, 32, 8, REASON],
  ["deepseek-r1:14b", 8_988_112_040, "qwen2", "14.8B", 14_770_033_664, "Q4_K_M", 131072, 5120, 48, 40, 8, REASON],
  ["deepseek-r1:32b", 19_851_337_640, "qwen2", "32.8B", 32_763_876_352, "Q4_K_M", 131072, 5120, 64, 40, 8, REASON],
  ["gpt-oss:20b", 13_780_154_624, "gptoss", "20.9B", 20_914_757_184, "MXFP4", 131072, 2880, 24, 64, 8, THINK],
  ["gpt-oss:120b", 65_290_181_902, "gptoss", "116.8B", 116_829_156_672, "MXFP4", 131072, 2880, 36, 64, 8, THINK],
  ["qwen2.5-coder:7b", 4_683_087_332, "qwen2", "7.6B", 7_615_616_512, "Q4_K_M", 32768, 3584, 28, 28, 4, CODE],
  ["llava:7b", 4_733_363_377, "llama", "7B", 7_241_732_096, "Q4_0", 32768, 4096, 32, 32, 32, VISION],
  ["nomic-embed-text:latest", 274_302_450, "nomic-bert", "137M", 136_727_040, "F16", 2048, 768, 12, 12, 12, EMBED],
  ["mxbai-embed-large:latest", 669_615_493, "bert", "334M", 334_094_336, "F16", 512, 1024, 24, 16, 16, EMBED],
  ["all-minilm:latest", 45_960_996, "bert", "23M", 22_565_376, "F16", 512, 384, 6, 12, 12, EMBED],
  ["bge-m3:latest", 1_157_672_605, "bert", "566.70M", 566_703_104, "F16", 8192, 1024, 24, 16, 16, EMBED],
  ["qwen3-embedding:0.6b", 639_150_592, "qwen3", "595.78M", 595_776_512, "Q8_0", 32768, 1024, 28, 16, 8, EMBED],
];

/** Tags that name another entry, as the library's `latest` tags do. */
const ALIASES: Readonly<Record<string, string>> = {
  "qwen3:latest": "qwen3:8b",
  "llama3.2:latest": "llama3.2:3b",
  "llama3.1:latest": "llama3.1:8b",
  "llama3.3:latest": "llama3.3:70b",
  "gemma3:latest": "gemma3:4b",
  "mistral:latest": "mistral:7b",
  "phi4:latest": "phi4:14b",
  "deepseek-r1:latest": "deepseek-r1:8b",
  "gpt-oss:latest": "gpt-oss:20b",
  "qwen2.5-coder:latest": "qwen2.5-coder:7b",
  "llava:latest": "llava:7b",
  "qwen3-embedding:latest": "qwen3-embedding:0.6b",
};

function fromRow(row: Row): ModelSpec {
  const [
    name,
    size,
    family,
    parameterSize,
    parameterCount,
    quantization,
    contextLength,
    embeddingLength,
    blockCount,
    headCount,
    headCountKv,
    capabilities,
  ] = row;
  return {
    name,
    source: name,
    size,
    family,
    families: [family],
    parameterSize,
    parameterCount,
    quantization,
    format: "gguf",
    contextLength,
    embeddingLength,
    blockCount,
    headCount,
    headCountKv,
    capabilities,
  };
}

const BY_NAME: ReadonlyMap<string, ModelSpec> = new Map(
  ROWS.map((row) => [row[0].toLowerCase(), fromRow(row)]),
);

/** Every model in the catalogue under its canonical name. */
export const CATALOGUE: readonly ModelSpec[] = [...BY_NAME.values()];

/**
 * Looks a model up by display name (case-insensitive), following `latest` aliases.
 *
 * @returns A copy named as asked, so that `qwen3:latest` keeps that name; `source` names the entry.
 */
export function findInCatalogue(displayName: string): ModelSpec | undefined {
  const lower = displayName.toLowerCase();
  const spec = BY_NAME.get(ALIASES[lower] ?? lower);
  return spec && { ...spec, name: displayName };
}

/** Each attention head's key (and value) size: `embedding_length / head_count`. */
export function headDim(spec: ModelSpec): number {
  return spec.embeddingLength / Math.max(1, spec.headCount);
}

/** Bytes of one token's key/value cache at f16, from the model's attention shape. */
export function kvBytesPerToken(spec: ModelSpec): number {
  return 2 * spec.blockCount * spec.headCountKv * headDim(spec) * 2;
}

/** Bytes of weights: the model blob, without the small template/license/params layers. */
export function weightBytes(spec: ModelSpec): number {
  return Math.max(spec.size - 16 * 1024, 1);
}

const CAPABILITIES: ReadonlySet<string> = new Set([
  "completion",
  "tools",
  "insert",
  "vision",
  "embedding",
  "thinking",
]);

/**
 * A model described in a profile rather than taken from the catalogue: `name` and `size` are
 * required; the attention shape is estimated from the parameter count when not given.
 *
 * @throws {TypeError} Naming the first bad field.
 */
export function customSpec(input: Readonly<Record<string, unknown>>): ModelSpec {
  const { name, size } = input;
  if (typeof name !== "string" || name === "") throw new TypeError("'name' must be a model name");
  const bytes = typeof size === "number" ? size : Number.NaN;
  if (!(bytes > 0)) throw new TypeError(`'size' of ${name} must be a positive number of bytes`);
  const capabilities = (input.capabilities ??
    (input.embedding === true ? ["embedding"] : ["completion"])) as string[];
  if (!Array.isArray(capabilities) || capabilities.some((c) => !CAPABILITIES.has(c))) {
    throw new TypeError(
      `'capabilities' of ${name} must be a list of ${[...CAPABILITIES].join(", ")}`,
    );
  }
  const quantization = String(input.quantization ?? "Q4_K_M");
  const bytesPerParam = /^F(16|P16)|BF16/.test(quantization)
    ? 2
    : /^Q8/.test(quantization)
    ? 1.07
    : 0.6;
  const parameterCount = typeof input.parameter_count === "number"
    ? input.parameter_count
    : Math.round(bytes / bytesPerParam);
  // Rough shapes of dense transformers of that size.
  const embeddingLength = Number(
    input.embedding_length ?? (parameterCount > 20e9 ? 8192 : parameterCount > 5e9 ? 4096 : 2048),
  );
  const blockCount = Number(
    input.block_count ?? Math.max(12, Math.round(parameterCount / (12 * embeddingLength ** 2))),
  );
  const family = String(input.family ?? "llama");
  return {
    name,
    source: name,
    size: bytes,
    family,
    families: [family],
    parameterSize: String(
      input.parameter_size ??
        (parameterCount >= 1e9
          ? `${(parameterCount / 1e9).toFixed(1)}B`
          : `${(parameterCount / 1e6).toFixed(0)}M`),
    ),
    parameterCount,
    quantization,
    format: "gguf",
    contextLength: Number(input.context_length ?? 8192),
    embeddingLength,
    blockCount,
    headCount: Number(input.head_count ?? embeddingLength / 128),
    headCountKv: Number(input.head_count_kv ?? 8),
    capabilities: capabilities as Capability[],
  };
}
