/**
 * Conversions between Ollama's wire types (snake_case, `shared/ollama.ts`) and Corral's protocol
 * (camelCase, `shared/protocol.ts`), in exactly one place for the agent and the hub; a model's shape
 * from its `/api/show`, and the cache of shapes by digest that both keep (it does no I/O itself: it
 * is handed the function that reads `/api/show`); and the short reason for a failed fetch that both
 * put in their reports.
 *
 * @module
 */

import type { ListModel, ProcessModel } from "./ollama.ts";
import type { DiskModel, LoadedModel, ModelShape } from "./protocol.ts";

/** Converts one `/api/tags` entry to the protocol's shape. */
export function toDiskModel(m: ListModel): DiskModel {
  return {
    name: m.name,
    digest: m.digest,
    size: m.size,
    modifiedAt: m.modified_at,
    family: m.details?.family ?? "",
    parameterSize: m.details?.parameter_size ?? "",
    quantization: m.details?.quantization_level ?? "",
  };
}

/** Converts one `/api/ps` entry to the protocol's shape. */
export function toLoadedModel(m: ProcessModel): LoadedModel {
  return {
    name: m.name,
    digest: m.digest,
    size: m.size,
    sizeVram: m.size_vram,
    contextLength: m.context_length ?? null,
    expiresAt: m.expires_at ?? null,
  };
}

type Info = Record<string, unknown>;

function isRecord(value: unknown): value is Info {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A finite number above 0, or `null`. */
function positive(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : null;
}

/** A head count: a number, or the largest of a per-layer array (as some GGUFs have). */
function headCount(value: unknown): number | null {
  if (!Array.isArray(value)) return positive(value);
  const counts = value.map(positive).filter((n) => n !== null);
  return counts.length > 0 ? Math.max(...counts) : null;
}

/**
 * A model's attention shape from its `/api/show` answer (OLLAMA_API.md §2.7): `model_info`'s
 * `general.architecture`, then that architecture's `block_count`, `attention.head_count`,
 * `attention.head_count_kv`, `attention.key_length` and `attention.value_length`, `embedding_length`
 * and `context_length`. Key and value lengths default to `embedding_length / head_count` and the KV
 * head count to the head count, as in llama.cpp; per-layer head counts count as their largest.
 *
 * @param show The parsed `/api/show` body (or its `model_info` alone).
 * @param capabilities The model's capabilities; by default the body's `capabilities`.
 * @returns The shape, or `null` when the block count, KV head count, context length or the key and
 *   value lengths (given, or derived from the embedding length and head count) are missing or not
 *   positive numbers. `headCount` and `embeddingLength` are 0 where the model gives none.
 * @example
 * ```ts
 * const shape = toModelShape(await client.show("qwen3:8b"));
 * // { architecture: "qwen3", blockCount: 36, headCountKv: 8, keyLength: 128, ... }
 * ```
 */
export function toModelShape(
  show: unknown,
  capabilities?: readonly string[],
): ModelShape | null {
  if (!isRecord(show)) return null;
  const info = isRecord(show.model_info) ? show.model_info : show;
  const architecture = info["general.architecture"];
  if (typeof architecture !== "string" || architecture === "") return null;
  const value = (key: string) => info[`${architecture}.${key}`];
  const blockCount = positive(value("block_count"));
  const heads = headCount(value("attention.head_count"));
  // Absent (BERT-style encoders have none), it is the head count, as in llama.cpp.
  const headCountKv = `${architecture}.attention.head_count_kv` in info
    ? headCount(value("attention.head_count_kv"))
    : heads;
  const embeddingLength = positive(value("embedding_length"));
  const contextLength = positive(value("context_length"));
  const headDim = heads !== null && embeddingLength !== null ? embeddingLength / heads : null;
  const keyLength = positive(value("attention.key_length")) ?? headDim;
  const valueLength = positive(value("attention.value_length")) ?? headDim;
  if (
    blockCount === null || headCountKv === null || contextLength === null ||
    keyLength === null || valueLength === null
  ) {
    return null;
  }
  const caps = capabilities ?? (Array.isArray(show.capabilities) ? show.capabilities : []);
  return {
    architecture,
    blockCount,
    headCount: heads ?? 0,
    headCountKv,
    keyLength,
    valueLength,
    embeddingLength: embeddingLength ?? 0,
    contextLength,
    embedding: caps.includes("embedding"),
  };
}

/**
 * Whether an `/api/show` answer lost a head count to Ollama's trimming (without `verbose`, arrays of
 * more than 5 elements come back empty or `null`, and per-layer head counts have one per layer).
 *
 * @param show The parsed `/api/show` body.
 * @returns `true` when asking again with `verbose: true` would give the head counts.
 */
export function showNeedsVerbose(show: unknown): boolean {
  if (!isRecord(show) || !isRecord(show.model_info)) return false;
  const info = show.model_info;
  const arch = info["general.architecture"];
  return typeof arch === "string" &&
    ["head_count", "head_count_kv"].some((key) => {
      const value = info[`${arch}.attention.${key}`];
      return value === null || (Array.isArray(value) && value.length === 0);
    });
}

/** Reads one model's `/api/show` and returns the parsed body; `verbose` asks for whole arrays. */
export type ShowReader = (name: string, verbose: boolean) => Promise<unknown>;

/** Options for {@link ShapeCache}. */
export interface ShapeCacheOptions {
  /** At most this many reads at once. @default 4 */
  concurrency?: number;
}

/**
 * The shapes of the models on a host, by digest, read from `/api/show` once per digest: what the
 * agent and the hub's link to a plain Ollama put in each {@link DiskModel}.
 *
 * @example
 * ```ts
 * const shapes = new ShapeCache((name, verbose) => client.show(name, { verbose }));
 * models = await shapes.fill(await client.tags()); // each with `shape` (null until read)
 * ```
 */
export class ShapeCache {
  #read: ShowReader;
  #concurrency: number;
  #shapes = new Map<string, ModelShape | null>();

  /**
   * @param read Reads one model's `/api/show` (with the caller's timeout); may throw.
   * @param options How many reads may run at once.
   */
  constructor(read: ShowReader, options: ShapeCacheOptions = {}) {
    this.#read = read;
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
  }

  /**
   * `models`, each with its shape: known digests from the cache, the others read first (one name
   * per digest, at most `concurrency` at a time). A read that fails leaves `shape: null` and is
   * tried again at the next call; after a failure no more reads start in this call, so that an
   * Ollama that hangs costs one timeout per call, not one per model. An answer without a usable
   * shape is kept as `null` (asking again would give the same). Digests no longer listed are
   * forgotten.
   *
   * @param models The models on disk, as `/api/tags` lists them.
   * @returns Copies of `models` with `shape` set.
   */
  async fill(models: readonly DiskModel[]): Promise<DiskModel[]> {
    const keyOf = (m: DiskModel) => m.digest || `name:${m.name}`;
    const listed = new Set(models.map(keyOf));
    for (const key of this.#shapes.keys()) if (!listed.has(key)) this.#shapes.delete(key);
    const todo = new Map<string, string>();
    for (const m of models) {
      if (!this.#shapes.has(keyOf(m)) && !todo.has(keyOf(m))) todo.set(keyOf(m), m.name);
    }
    const queue = [...todo];
    let failed = false;
    const work = async () => {
      for (let next = queue.shift(); next && !failed; next = queue.shift()) {
        const [key, name] = next;
        try {
          this.#shapes.set(key, await this.#shapeOf(name));
        } catch {
          failed = true;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, queue.length) }, work));
    return models.map((m) => ({ ...m, shape: this.#shapes.get(keyOf(m)) ?? null }));
  }

  async #shapeOf(name: string): Promise<ModelShape | null> {
    const body = await this.#read(name, false);
    const shape = toModelShape(body);
    if (shape !== null || !showNeedsVerbose(body)) return shape;
    return toModelShape(await this.#read(name, true));
  }
}

/** A short reason for a failed fetch: "connection refused", "timed out", ... */
export function describe(error: unknown): string {
  if (error instanceof DOMException && error.name === "TimeoutError") return "timed out";
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause : error;
    if (/refused/i.test(cause.message) || cause.name === "ConnectionRefused") {
      return "connection refused";
    }
    return cause.message.split("\n")[0] ?? cause.name;
  }
  return String(error);
}
