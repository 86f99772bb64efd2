/**
 * Ollama's memory, predicted: what a model will take on a host for a context and a number of
 * slots, the way Ollama sizes it (`fs/ggml/ggml.go` `GraphSize`, `llm/server.go`,
 * `server/sched.go`), so that the router knows what a load really costs before Ollama evicts
 * anything. Pure; {@link MemoryBook} corrects the predictions with what agents report.
 *
 * - **Context.** A request that sets no `num_ctx` gets the host's `OLLAMA_CONTEXT_LENGTH`, or a tier
 *   by the host's total VRAM: 4k under 23 GiB, 32k from 23 GiB, 256k from 47 GiB. Either way, and for
 *   an explicit `num_ctx` too, never more than the model was trained for.
 * - **Slots.** The KV cache holds `context × OLLAMA_NUM_PARALLEL` tokens; an embedding model gets
 *   one slot.
 * - **Size.** Weights (the model's bytes on disk) + KV cache (`tokens × (key + value length) × KV
 *   heads × layers × 2 bytes`, f16) + the compute graph. The graph depends on the architecture and
 *   backend (a few hundred MB to GBs); until a model has been seen loaded, it is taken as
 *   {@link GRAPH_PRIOR_BYTES}, then as what the agents' `/api/ps` sizes imply.
 *
 * @module
 */

import type { ModelShape } from "../shared/protocol.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** Ollama's default-context tiers by total VRAM (OLLAMA_API.md §2.1, `envconfig`). */
export const CONTEXT_TIERS: readonly { minVram: number; context: number }[] = [
  { minVram: 47 * GIB, context: 262_144 },
  { minVram: 23 * GIB, context: 32_768 },
  { minVram: 0, context: 4096 },
];

/** The compute graph assumed before a model has been seen loaded ("~0.5 GB", OLLAMA_API.md §8). */
export const GRAPH_PRIOR_BYTES = 512 * MIB;

/** Bytes per KV cache element at Ollama's default `OLLAMA_KV_CACHE_TYPE` (f16). */
export const KV_BYTES_PER_ELEMENT = 2;

/** The context Ollama gives a request that sets none. */
export function defaultContext(
  totalVram: number,
  hostContextLength: number,
  shape: ModelShape | null | undefined,
): number {
  const tier = hostContextLength > 0
    ? hostContextLength
    : CONTEXT_TIERS.find((t) => totalVram >= t.minVram)!.context;
  return shape ? Math.min(tier, shape.contextLength) : tier;
}

/**
 * The context a runner will have for a request: its `num_ctx` (or the host's default when it sets
 * none), clamped to what the model was trained for, as Ollama clamps it.
 */
export function effectiveContext(
  requested: number | null,
  totalVram: number,
  hostContextLength: number,
  shape: ModelShape | null | undefined,
): number {
  if (requested === null || !(requested > 0)) {
    return defaultContext(totalVram, hostContextLength, shape);
  }
  return shape ? Math.min(requested, shape.contextLength) : requested;
}

/** Ollama's slots for a model: `OLLAMA_NUM_PARALLEL`, one for an embedding model. */
export function slotsFor(shape: ModelShape | null | undefined, hostSlots: number): number {
  return shape?.embedding ? 1 : Math.max(1, hostSlots);
}

/** Bytes of KV cache for `context` tokens in each of `slots` slots. */
export function kvBytes(shape: ModelShape, context: number, slots: number): number {
  return context * slots * (shape.keyLength + shape.valueLength) * shape.headCountKv *
    shape.blockCount * KV_BYTES_PER_ELEMENT;
}

/** What loading a model will take. */
export interface Footprint {
  weights: number;
  kv: number;
  /** The compute graph and everything else Ollama allocates: learnt, or the prior. */
  overhead: number;
  /** weights + kv + overhead: what `/api/ps` will show as `size`. */
  total: number;
}

/**
 * The memory of a model loaded with `context` per slot.
 *
 * @param weights The model's bytes on disk.
 * @param shape Its attention shape; without one, the KV cache is guessed as a fifth of the weights.
 * @param overhead The learnt overhead for this model, when one is known.
 */
export function footprint(
  weights: number,
  shape: ModelShape | null | undefined,
  context: number,
  slots: number,
  overhead?: number,
): Footprint {
  const kv = shape ? kvBytes(shape, context, slots) : Math.round(weights * 0.2 * context / 8192);
  const extra = overhead !== undefined && overhead >= 0 ? overhead : GRAPH_PRIOR_BYTES;
  return { weights, kv, overhead: extra, total: weights + kv + extra };
}

/**
 * What the agents' reports say about each model's overhead: the part of a loaded model's `size`
 * that is neither weights nor KV cache. One figure per model (the same file on every host), the
 * latest seen; fed by the registry with every snapshot, read by the router on every decision.
 */
export class MemoryBook {
  #overhead = new Map<string, number>();

  /**
   * Learns from one loaded model.
   *
   * @param model Its model key.
   * @param size The loaded size `/api/ps` reported.
   * @param weights Its bytes on disk.
   */
  observe(
    model: string,
    size: number,
    weights: number,
    shape: ModelShape | null | undefined,
    context: number | null,
    slots: number,
  ): void {
    if (!shape || context === null || !(context > 0) || !(size > 0) || !(weights > 0)) return;
    const overhead = size - weights - kvBytes(shape, context, slotsFor(shape, slots));
    // A negative figure means the report does not fit the model (another KV type, a split): ignore.
    if (overhead >= 0 && overhead < size) this.#overhead.set(model, overhead);
  }

  /** The learnt overhead of `model`, or `undefined` before it has been seen loaded. */
  overhead(model: string): number | undefined {
    return this.#overhead.get(model);
  }
}
