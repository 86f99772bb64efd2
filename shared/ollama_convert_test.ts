import assert from "node:assert/strict";
import { ShapeCache, showNeedsVerbose, toModelShape } from "./ollama_convert.ts";
import type { DiskModel } from "./protocol.ts";
import { QWEN3_8B_SHAPE } from "./model_shape_testing.ts";

/** `POST /api/show` for qwen3:8b from Ollama 0.12 (tokenizer arrays trimmed, as without verbose). */
const QWEN3_8B = {
  license: "Apache License ...",
  details: {
    format: "gguf",
    family: "qwen3",
    parameter_size: "8.2B",
    quantization_level: "Q4_K_M",
  },
  model_info: {
    "general.architecture": "qwen3",
    "general.basename": "Qwen3",
    "general.file_type": 15,
    "general.parameter_count": 8190735360,
    "general.quantization_version": 2,
    "general.size_label": "8B",
    "general.type": "model",
    "qwen3.attention.head_count": 32,
    "qwen3.attention.head_count_kv": 8,
    "qwen3.attention.key_length": 128,
    "qwen3.attention.layer_norm_rms_epsilon": 0.000001,
    "qwen3.attention.value_length": 128,
    "qwen3.block_count": 36,
    "qwen3.context_length": 40960,
    "qwen3.embedding_length": 4096,
    "qwen3.feed_forward_length": 12288,
    "qwen3.rope.freq_base": 1000000,
    "tokenizer.ggml.add_bos_token": false,
    "tokenizer.ggml.bos_token_id": 151643,
    "tokenizer.ggml.eos_token_id": 151645,
    "tokenizer.ggml.merges": null,
    "tokenizer.ggml.model": "gpt2",
    "tokenizer.ggml.pre": "qwen2",
    "tokenizer.ggml.token_type": null,
    "tokenizer.ggml.tokens": null,
  },
  capabilities: ["completion", "tools", "thinking"],
  modified_at: "2026-05-02T10:00:00.000000000Z",
};

/** llama3.2:3b: no key or value length, so both are embedding_length / head_count. */
const LLAMA32_3B = {
  model_info: {
    "general.architecture": "llama",
    "llama.attention.head_count": 24,
    "llama.attention.head_count_kv": 8,
    "llama.block_count": 28,
    "llama.context_length": 131072,
    "llama.embedding_length": 3072,
    "llama.rope.dimension_count": 128,
  },
  capabilities: ["completion", "tools"],
};

Deno.test("toModelShape() reads qwen3:8b's attention shape from model_info", () => {
  assert.deepEqual(toModelShape(QWEN3_8B), QWEN3_8B_SHAPE);
  assert.deepEqual(toModelShape(QWEN3_8B.model_info), QWEN3_8B_SHAPE, "model_info alone will do");
});

Deno.test("toModelShape() derives key and value lengths from embedding_length / head_count", () => {
  assert.deepEqual(toModelShape(LLAMA32_3B), {
    architecture: "llama",
    blockCount: 28,
    headCount: 24,
    headCountKv: 8,
    keyLength: 128,
    valueLength: 128,
    embeddingLength: 3072,
    contextLength: 131072,
    embedding: false,
  });
  const onlyKey = {
    model_info: { ...LLAMA32_3B.model_info, "llama.attention.key_length": 96 },
  };
  const shape = toModelShape(onlyKey)!;
  assert.deepEqual([shape.keyLength, shape.valueLength], [96, 128], "each defaults on its own");
});

Deno.test("toModelShape() takes the largest of per-layer head counts", () => {
  const info = {
    "general.architecture": "openelm",
    "openelm.attention.head_count": [12, 12, 14, 16, 16, 20],
    "openelm.attention.head_count_kv": [3, 3, 0, 4, 4, 5],
    "openelm.attention.key_length": 64,
    "openelm.attention.value_length": 64,
    "openelm.block_count": 6,
    "openelm.context_length": 2048,
    "openelm.embedding_length": 1280,
  };
  const shape = toModelShape({ model_info: info })!;
  assert.deepEqual([shape.headCount, shape.headCountKv], [20, 5]);
  assert.equal(showNeedsVerbose({ model_info: info }), false);
});

Deno.test("toModelShape() marks embedding models and gives BERT-style ones head_count KV heads", () => {
  const nomic = {
    model_info: {
      "general.architecture": "nomic-bert",
      "nomic-bert.attention.head_count": 12,
      "nomic-bert.block_count": 12,
      "nomic-bert.context_length": 2048,
      "nomic-bert.embedding_length": 768,
    },
    capabilities: ["embedding"],
  };
  const shape = toModelShape(nomic)!;
  assert.equal(shape.embedding, true);
  assert.deepEqual([shape.headCountKv, shape.keyLength], [12, 64]);
  assert.equal(toModelShape(QWEN3_8B, ["embedding"])!.embedding, true, "capabilities win");
  assert.equal(toModelShape(nomic, [])!.embedding, false);
});

Deno.test("toModelShape() returns null for garbage and for shapes missing an essential", () => {
  for (const garbage of [undefined, null, 42, "qwen3", [], {}, { model_info: {} }]) {
    assert.equal(toModelShape(garbage), null, JSON.stringify(garbage));
  }
  const info = QWEN3_8B.model_info;
  const without = (key: string) => {
    const copy: Record<string, unknown> = { ...info };
    delete copy[key];
    return { model_info: copy };
  };
  const broken = {
    "no architecture": without("general.architecture"),
    "no block_count": without("qwen3.block_count"),
    "no context_length": without("qwen3.context_length"),
    "a string block_count": { model_info: { ...info, "qwen3.block_count": "36" } },
    "a zero context_length": { model_info: { ...info, "qwen3.context_length": 0 } },
    "a negative head_count_kv": { model_info: { ...info, "qwen3.attention.head_count_kv": -8 } },
    "a trimmed head_count_kv": { model_info: { ...info, "qwen3.attention.head_count_kv": [] } },
    "no lengths and no head count": {
      model_info: {
        ...LLAMA32_3B.model_info,
        "llama.attention.head_count": undefined,
        "llama.attention.head_count_kv": 8,
      },
    },
    "an architecture that is not a string": {
      model_info: { ...info, "general.architecture": 7 },
    },
    "NaN embedding_length, no key_length": {
      model_info: { ...LLAMA32_3B.model_info, "llama.embedding_length": NaN },
    },
  };
  for (const [what, show] of Object.entries(broken)) {
    assert.equal(toModelShape(show), null, what);
  }
});

Deno.test("showNeedsVerbose() tells when Ollama trimmed a per-layer head count", () => {
  const trimmed = (value: unknown) => ({
    model_info: { ...QWEN3_8B.model_info, "qwen3.attention.head_count_kv": value },
  });
  assert.equal(showNeedsVerbose(trimmed([])), true);
  assert.equal(showNeedsVerbose(trimmed(null)), true);
  assert.equal(showNeedsVerbose(trimmed(8)), false);
  assert.equal(showNeedsVerbose(QWEN3_8B), false);
  assert.equal(showNeedsVerbose(null), false);
});

function disk(name: string, digest: string): DiskModel {
  return {
    name,
    digest,
    size: 1,
    modifiedAt: "",
    family: "",
    parameterSize: "",
    quantization: "",
  };
}

/** A reader over a table of answers (a thrown Error for a failure), counting reads. */
function reader(answers: Record<string, unknown>) {
  const reads: string[] = [];
  let open = 0;
  let most = 0;
  const read = async (name: string, verbose: boolean) => {
    reads.push(verbose ? `${name} (verbose)` : name);
    open++;
    most = Math.max(most, open);
    await new Promise((resolve) => setTimeout(resolve, 1));
    open--;
    const answer = answers[verbose ? `${name} (verbose)` : name];
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw new Error(`model '${name}' not found`);
    return answer;
  };
  return { read, reads, most: () => most };
}

Deno.test("ShapeCache.fill() reads each new digest once and keeps its shape", async () => {
  const r = reader({ "qwen3:8b": QWEN3_8B, "llama3.2:3b": LLAMA32_3B });
  const cache = new ShapeCache(r.read);
  const models = [disk("qwen3:8b", "d1"), disk("qwen3:latest", "d1"), disk("llama3.2:3b", "d2")];
  const first = await cache.fill(models);
  assert.deepEqual(first.map((m) => m.shape?.architecture), ["qwen3", "qwen3", "llama"]);
  assert.deepEqual(r.reads.sort(), ["llama3.2:3b", "qwen3:8b"], "one read per digest");
  assert.equal(models[0]!.shape, undefined, "the input is not changed");
  const again = await cache.fill(models);
  assert.deepEqual(again, first);
  assert.equal(r.reads.length, 2, "known digests are not read again");
});

Deno.test("ShapeCache.fill() reads at most four at a time", async () => {
  const answers: Record<string, unknown> = {};
  const models = Array.from({ length: 10 }, (_, i) => {
    answers[`m${i}`] = QWEN3_8B;
    return disk(`m${i}`, `d${i}`);
  });
  const r = reader(answers);
  const filled = await new ShapeCache(r.read).fill(models);
  assert.equal(r.reads.length, 10);
  assert.equal(r.most(), 4);
  assert.ok(filled.every((m) => m.shape !== null));
});

Deno.test("ShapeCache.fill() leaves null after a failure, starts no more reads, and retries next time", async () => {
  const answers: Record<string, unknown> = { a: new Error("timed out") };
  const models = [
    disk("a", "da"),
    ...Array.from({ length: 8 }, (_, i) => {
      answers[`m${i}`] = LLAMA32_3B;
      return disk(`m${i}`, `d${i}`);
    }),
  ];
  const r = reader(answers);
  const cache = new ShapeCache(r.read, { concurrency: 1 });
  const first = await cache.fill(models);
  assert.deepEqual(r.reads, ["a"], "nothing more is read once one read failed");
  assert.ok(first.every((m) => m.shape === null));
  answers.a = QWEN3_8B;
  const second = await cache.fill(models);
  assert.ok(second.every((m) => m.shape !== null));
  assert.equal(r.reads.length, 10);
});

Deno.test("ShapeCache.fill() keeps an unusable answer as null, and asks verbose for trimmed heads", async () => {
  const perLayer = (kv: unknown) => ({
    model_info: { ...QWEN3_8B.model_info, "qwen3.attention.head_count_kv": kv },
  });
  const r = reader({
    odd: { model_info: { "general.architecture": "odd" } },
    layered: perLayer([]),
    "layered (verbose)": perLayer([8, 8, 4, 8, 8, 8, 8]),
  });
  const cache = new ShapeCache(r.read);
  const models = [disk("odd", "d1"), disk("layered", "d2")];
  const filled = await cache.fill(models);
  assert.equal(filled[0]!.shape, null);
  assert.equal(filled[1]!.shape?.headCountKv, 8);
  await cache.fill(models);
  assert.deepEqual(r.reads.sort(), ["layered", "layered (verbose)", "odd"]);
});

Deno.test("ShapeCache.fill() forgets digests that left the disk", async () => {
  const r = reader({ "qwen3:8b": QWEN3_8B });
  const cache = new ShapeCache(r.read);
  await cache.fill([disk("qwen3:8b", "d1")]);
  await cache.fill([]);
  await cache.fill([disk("qwen3:8b", "d1")]);
  assert.deepEqual(r.reads, ["qwen3:8b", "qwen3:8b"]);
});
