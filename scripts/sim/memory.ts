/**
 * Pure memory and speed arithmetic for a simulated host: how large a loaded model is, where it
 * fits, and how fast it reads and decodes. See OLLAMA_API.md §8 for the model behind the numbers.
 *
 * @module
 */

import { kvBytesPerToken, type ModelSpec, weightBytes } from "./catalogue.ts";
import type { Profile } from "./profile.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** The memory a loaded model takes. */
export interface Footprint {
  weights: number;
  kv: number;
  graph: number;
  /** weights + kv + graph: what `/api/ps` reports as `size`. */
  total: number;
}

/** Where a model's memory goes. */
export interface Placement {
  /** Bytes on each GPU, in the profile's GPU order. */
  perGpu: number[];
  /** Bytes in VRAM: `size_vram`. */
  vram: number;
  /** Bytes left in system memory. */
  ram: number;
}

/**
 * The context length Ollama picks when a request sets no `num_ctx`: `OLLAMA_CONTEXT_LENGTH`, or a
 * tier by total VRAM (4k under 23 GiB, 32k from 23 GiB, 256k from 47 GiB), never more than the
 * model was trained for.
 */
export function defaultNumCtx(profile: Profile, spec: ModelSpec): number {
  const vram = profile.gpus.reduce((sum, gpu) => sum + gpu.vram, 0);
  const tier = profile.contextLength > 0
    ? profile.contextLength
    : vram >= 47 * GIB
    ? 262_144
    : vram >= 23 * GIB
    ? 32_768
    : 4096;
  return Math.min(tier, spec.contextLength);
}

/** Embedding models take a single slot whatever `OLLAMA_NUM_PARALLEL` says. */
export function slotsFor(profile: Profile, spec: ModelSpec): number {
  return spec.capabilities.includes("embedding") ? 1 : profile.numParallel;
}

/** The memory of a model loaded with `numCtx` tokens of context for each of `parallel` slots. */
export function footprint(spec: ModelSpec, numCtx: number, parallel: number): Footprint {
  const weights = weightBytes(spec);
  const kv = Math.round(kvBytesPerToken(spec) * numCtx * parallel);
  const graph = Math.round(Math.min(512 * MIB, 64 * MIB + weights * 0.08));
  return { weights, kv, graph, total: weights + kv + graph };
}

/**
 * Places `size` bytes on the GPUs given what each already holds: whole on the GPU with the most
 * room when it fits there, else spread over all GPUs, else as much as fits with the rest in RAM.
 *
 * @param used Bytes already used on each GPU.
 */
export function place(profile: Profile, used: readonly number[], size: number): Placement {
  const free = profile.gpus.map((gpu, i) => Math.max(0, gpu.vram - (used[i] ?? 0)));
  const perGpu = free.map(() => 0);
  if (free.length === 0) return { perGpu, vram: 0, ram: size };
  const best = free.indexOf(Math.max(...free));
  if (free[best]! >= size) {
    perGpu[best] = size;
    return { perGpu, vram: size, ram: 0 };
  }
  let left = size;
  for (const [i, room] of free.entries()) {
    const take = Math.min(room, left);
    perGpu[i] = take;
    left -= take;
  }
  return { perGpu, vram: size - left, ram: left };
}

/** Whether a placement keeps the whole model in VRAM. */
export function fitsInVram(placement: Placement): boolean {
  return placement.ram === 0;
}

/** Fraction of the parameters read per token: mixture-of-experts models read only their experts. */
function activeFraction(spec: ModelSpec): number {
  if (spec.family === "qwen3moe") return 3.3 / 30.5;
  if (spec.family === "gptoss") return spec.parameterCount > 50e9 ? 5.1 / 116.8 : 3.6 / 20.9;
  return 1;
}

/** Decode and prefill speed of a loaded model, tokens per simulated second. */
export interface Speeds {
  decode: number;
  prefill: number;
}

/**
 * Decode is memory-bound: each token reads the active weights once, from each GPU at its
 * bandwidth and from RAM for layers that spilled, at 70 % efficiency. Prefill is compute-bound:
 * about 40× decode on a GPU, 3× on a CPU.
 */
export function speeds(profile: Profile, spec: ModelSpec, placement: Placement): Speeds {
  const total = placement.vram + placement.ram;
  const bytesPerToken = weightBytes(spec) * activeFraction(spec);
  let seconds = 0;
  for (const [i, bytes] of placement.perGpu.entries()) {
    seconds += (bytesPerToken * bytes / total) / profile.gpus[i]!.bandwidth;
  }
  seconds += (bytesPerToken * placement.ram / total) / profile.ramBandwidth;
  const decode = 0.7 / Math.max(seconds, 1e-9);
  const gpuShare = total === 0 ? 0 : placement.vram / total;
  return { decode, prefill: decode * (3 + 37 * gpuShare) };
}

/**
 * How much each of `n` streams decoding at once slows down: total throughput grows about as
 * n^0.66 (×1.6 at 2, ×2.5 at 4), so each stream gets n^-0.34 of its solo speed.
 */
export function parallelSlowdown(n: number): number {
  return n <= 1 ? 1 : Math.pow(n, -0.34);
}
