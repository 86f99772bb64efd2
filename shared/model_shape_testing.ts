/**
 * A model shape for tests on every side: qwen3:8b as Ollama's `/api/show` describes it (36 layers,
 * 32 heads, 8 KV heads with keys and values of 128: 147,456 bytes of f16 KV cache a token).
 *
 * @module
 */

import type { ModelShape } from "./protocol.ts";

/** qwen3:8b's shape, as `toModelShape()` reads it from its `model_info`. */
export const QWEN3_8B_SHAPE: Readonly<ModelShape> = Object.freeze({
  architecture: "qwen3",
  blockCount: 36,
  headCount: 32,
  headCountKv: 8,
  keyLength: 128,
  valueLength: 128,
  embeddingLength: 4096,
  contextLength: 40960,
  embedding: false,
});
