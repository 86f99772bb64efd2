import assert from "node:assert/strict";
import type { ModelShape } from "../shared/protocol.ts";
import {
  defaultContext,
  effectiveContext,
  footprint,
  GRAPH_PRIOR_BYTES,
  kvBytes,
  MemoryBook,
  slotsFor,
} from "./memory_model.ts";
import { QWEN3_8B_SHAPE } from "../shared/model_shape_testing.ts";

const GiB = 1024 ** 3;

const QWEN3_8B_BYTES = 5_225_376_047;
const NOMIC: ModelShape = {
  architecture: "nomic-bert",
  blockCount: 12,
  headCount: 12,
  headCountKv: 12,
  keyLength: 64,
  valueLength: 64,
  embeddingLength: 768,
  contextLength: 2048,
  embedding: true,
};

Deno.test("defaultContext() follows Ollama's VRAM tiers, capped at the trained context", () => {
  assert.equal(defaultContext(12 * GiB, 0, QWEN3_8B_SHAPE), 4096);
  assert.equal(defaultContext(23 * GiB - 1, 0, QWEN3_8B_SHAPE), 4096);
  assert.equal(defaultContext(23 * GiB, 0, QWEN3_8B_SHAPE), 32768);
  assert.equal(defaultContext(47 * GiB, 0, QWEN3_8B_SHAPE), 40960); // 256k, capped at 40,960
  assert.equal(defaultContext(47 * GiB, 0, null), 262_144);
  // OLLAMA_CONTEXT_LENGTH on the host wins over the tiers, and is capped too.
  assert.equal(defaultContext(80 * GiB, 8192, QWEN3_8B_SHAPE), 8192);
  assert.equal(defaultContext(8 * GiB, 8192, NOMIC), 2048);
});

Deno.test("effectiveContext() takes the request's num_ctx, clamped as Ollama clamps it", () => {
  assert.equal(effectiveContext(16384, 12 * GiB, 0, QWEN3_8B_SHAPE), 16384);
  assert.equal(effectiveContext(131072, 12 * GiB, 0, QWEN3_8B_SHAPE), 40960);
  assert.equal(effectiveContext(null, 24 * GiB, 0, QWEN3_8B_SHAPE), 32768);
  assert.equal(effectiveContext(0, 12 * GiB, 0, QWEN3_8B_SHAPE), 4096);
});

Deno.test("kvBytes() is Ollama's KV cache: tokens × (key + value) × KV heads × layers × 2 bytes", () => {
  // 36 × 8 × (128 + 128) × 2 = 147,456 bytes a token; 4096 tokens is 576 MiB.
  assert.equal(kvBytes(QWEN3_8B_SHAPE, 1, 1), 147_456);
  assert.equal(kvBytes(QWEN3_8B_SHAPE, 4096, 1), 576 * 1024 ** 2);
  // OLLAMA_NUM_PARALLEL multiplies it.
  assert.equal(kvBytes(QWEN3_8B_SHAPE, 4096, 4), 4 * 576 * 1024 ** 2);
});

Deno.test("footprint() makes the same model 6 GB on one host and 30 GB on another", () => {
  // A 12 GiB card, one slot: the 4k tier.
  const small = footprint(
    QWEN3_8B_BYTES,
    QWEN3_8B_SHAPE,
    defaultContext(12 * GiB, 0, QWEN3_8B_SHAPE),
    1,
  );
  assert.equal(small.total, QWEN3_8B_BYTES + 576 * 1024 ** 2 + GRAPH_PRIOR_BYTES);
  assert.ok(small.total > 6.3e9 && small.total < 6.4e9, `${small.total}`);
  // An 80 GiB card with OLLAMA_NUM_PARALLEL=4: 256k capped at 40,960, four times over.
  const big = footprint(
    QWEN3_8B_BYTES,
    QWEN3_8B_SHAPE,
    defaultContext(80 * GiB, 0, QWEN3_8B_SHAPE),
    4,
  );
  assert.equal(big.kv, 40960 * 4 * 147_456);
  assert.ok(big.total > 29e9 && big.total < 30.5e9, `${big.total}`);
});

Deno.test("slotsFor() gives an embedding model one slot", () => {
  assert.equal(slotsFor(QWEN3_8B_SHAPE, 4), 4);
  assert.equal(slotsFor(NOMIC, 4), 1);
  assert.equal(slotsFor(null, 0), 1);
});

Deno.test("MemoryBook learns a model's overhead from /api/ps and predicts other contexts with it", () => {
  const book = new MemoryBook();
  assert.equal(book.overhead("qwen3:8b"), undefined);
  // Ollama reported 6,654,289,920 bytes for qwen3:8b at 4096 on one slot.
  book.observe("qwen3:8b", 6_654_289_920, QWEN3_8B_BYTES, QWEN3_8B_SHAPE, 4096, 1);
  const overhead = book.overhead("qwen3:8b")!;
  assert.equal(overhead, 6_654_289_920 - QWEN3_8B_BYTES - kvBytes(QWEN3_8B_SHAPE, 4096, 1));
  // The same load is predicted exactly; a larger context adds exactly its KV cache.
  assert.equal(footprint(QWEN3_8B_BYTES, QWEN3_8B_SHAPE, 4096, 1, overhead).total, 6_654_289_920);
  assert.equal(
    footprint(QWEN3_8B_BYTES, QWEN3_8B_SHAPE, 16384, 1, overhead).total,
    6_654_289_920 + kvBytes(QWEN3_8B_SHAPE, 12288, 1),
  );
  // Reports that cannot be explained (no context, smaller than weights + KV) teach nothing.
  book.observe("qwen3:8b", 5e9, QWEN3_8B_BYTES, QWEN3_8B_SHAPE, 4096, 1);
  book.observe("qwen3:8b", 9e9, QWEN3_8B_BYTES, QWEN3_8B_SHAPE, null, 1);
  book.observe("qwen3:8b", 9e9, QWEN3_8B_BYTES, null, 4096, 1);
  assert.equal(book.overhead("qwen3:8b"), overhead);
});
