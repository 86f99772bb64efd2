import assert from "node:assert/strict";
import { findInCatalogue } from "./catalogue.ts";
import { defaultNumCtx, footprint, parallelSlowdown, place, slotsFor, speeds } from "./memory.ts";
import { resolveProfile } from "./profile.ts";

const GIB = 1024 ** 3;
const qwen = findInCatalogue("qwen3:8b")!;

Deno.test("defaultNumCtx() follows Ollama's VRAM tiers, capped by the model", () => {
  const at = (vram: string, extra = {}) =>
    defaultNumCtx(resolveProfile({ overrides: { gpus: [{ vram }], ...extra } }), qwen);
  assert.equal(at("12GiB"), 4096);
  assert.equal(at("24GiB"), 32768);
  assert.equal(at("80GiB"), 40960, "262144 capped at the model's 40960");
  assert.equal(at("80GiB", { context_length: 8192 }), 8192);
});

Deno.test("footprint() adds KV cache per slot and a graph to the weights", () => {
  const one = footprint(qwen, 4096, 1);
  const four = footprint(qwen, 4096, 4);
  assert.equal(four.kv, one.kv * 4);
  assert.equal(one.kv, 4096 * 147_456, "36 layers x 8 KV heads x 128 dims x 2 x f16");
  assert.ok(one.total > qwen.size && one.total < qwen.size * 1.3);
});

Deno.test("place() fits on the GPU with most room, spreads, then spills to RAM", () => {
  const profile = resolveProfile({ overrides: { gpus: [{ vram: "24GiB" }, { vram: "24GiB" }] } });
  assert.deepEqual(place(profile, [10 * GIB, 0], 20 * GIB), {
    perGpu: [0, 20 * GIB],
    vram: 20 * GIB,
    ram: 0,
  });
  const spread = place(profile, [0, 0], 40 * GIB);
  assert.deepEqual(spread.perGpu, [24 * GIB, 16 * GIB]);
  const spill = place(profile, [0, 0], 50 * GIB);
  assert.equal(spill.vram, 48 * GIB);
  assert.equal(spill.ram, 2 * GIB);
  const cpu = place(resolveProfile({ preset: "cpu" }), [], 4 * GIB);
  assert.deepEqual(cpu, { perGpu: [], vram: 0, ram: 4 * GIB });
});

Deno.test("speeds() follow bandwidth: a 4090 decodes an 8B Q4 at 130-170 tokens/s, a CPU far slower", () => {
  const gpu = resolveProfile({ preset: "rtx4090" });
  const fast = speeds(gpu, qwen, place(gpu, [0], 6 * GIB));
  assert.ok(fast.decode > 130 && fast.decode < 170, `${fast.decode}`);
  assert.ok(fast.prefill > 30 * fast.decode);
  const cpu = resolveProfile({ preset: "cpu" });
  const slow = speeds(cpu, qwen, place(cpu, [], 6 * GIB));
  assert.ok(slow.decode < 12, `${slow.decode}`);
  const split = speeds(gpu, qwen, { perGpu: [3 * GIB], vram: 3 * GIB, ram: 3 * GIB });
  assert.ok(split.decode < fast.decode / 4, "partial offload drops toward CPU speed");
});

Deno.test("parallelSlowdown() gives about 1.6x total throughput at 2 streams and 2.5x at 4", () => {
  assert.equal(parallelSlowdown(1), 1);
  assert.ok(Math.abs(2 * parallelSlowdown(2) - 1.58) < 0.03);
  assert.ok(Math.abs(4 * parallelSlowdown(4) - 2.5) < 0.05);
});

Deno.test("slotsFor() gives embedding models a single slot", () => {
  const profile = resolveProfile({ overrides: { num_parallel: 4 } });
  assert.equal(slotsFor(profile, qwen), 4);
  assert.equal(slotsFor(profile, findInCatalogue("nomic-embed-text:latest")!), 1);
});
