import assert from "node:assert/strict";
import { parseRate, parseSize, PRESETS, resolveProfile, specFor } from "./profile.ts";

Deno.test("resolveProfile() starts from a preset and applies YAML then overrides", () => {
  const profile = resolveProfile({
    preset: "rtx3060",
    yaml: "num_parallel: 2\nkeep_alive: 10m\nmodels: [qwen3:4b]\n",
    overrides: { num_parallel: "3" },
  });
  assert.equal(profile.gpus[0]!.name, "NVIDIA GeForce RTX 3060");
  assert.equal(profile.numParallel, 3);
  assert.equal(profile.keepAliveMs, 600_000);
  assert.deepEqual(profile.models, ["qwen3:4b"]);
  assert.ok(Object.isFrozen(profile));
  assert.equal(resolveProfile({ overrides: { keep_alive: "-1" } }).keepAliveMs, Infinity);
});

Deno.test("resolveProfile() reports every problem at once, with its field", () => {
  assert.throws(
    () =>
      resolveProfile({
        yaml: "num_parallel: 0\nmodels: [nope-model]\nbogus: 1\nram: lots\n",
      }),
    (error: Error) => {
      assert.equal(error.name, "TypeError");
      for (const part of ["num_parallel:", "models:", "bogus: unknown setting", "ram:"]) {
        assert.ok(error.message.includes(part), `${part} in ${error.message}`);
      }
      return true;
    },
  );
  assert.throws(() => resolveProfile({ preset: "nope" }), /unknown "nope"/);
  assert.throws(() => resolveProfile({ overrides: { preload: "qwen3:32b" } }), /not among models/);
});

Deno.test("every preset resolves and names models from the catalogue", () => {
  for (const name of Object.keys(PRESETS)) {
    assert.equal(resolveProfile({ preset: name }).name, name);
  }
});

Deno.test("parseSize() and parseRate() read human units", () => {
  assert.equal(parseSize("24GiB"), 24 * 1024 ** 3);
  assert.equal(parseSize("500 MB"), 500e6);
  assert.equal(parseSize(1024), 1024);
  assert.equal(parseRate("2GB/s"), 2e9);
  assert.throws(() => parseSize("big"), SyntaxError);
});

Deno.test("resolveProfile() takes models described in the profile, on disk and pullable", () => {
  const profile = resolveProfile({
    yaml: `
models:
  - qwen3:8b
  - name: acme/coder:13b
    size: 7.9GB
    family: llama
    quantization: Q4_K_M
    capabilities: [completion, tools]
    context_length: 16384
  - { name: acme-embed, size: 300MB, embedding: true, embedding_length: 768 }
preload: [acme/coder:13b]
`,
  });
  assert.deepEqual(profile.models, ["qwen3:8b", "acme/coder:13b", "acme-embed:latest"]);
  const coder = specFor(profile, "ACME/coder:13b")!;
  assert.equal(coder.size, 7.9e9);
  assert.equal(coder.parameterSize, "13.2B");
  assert.deepEqual(coder.capabilities, ["completion", "tools"]);
  assert.equal(specFor(profile, "acme-embed")!.capabilities[0], "embedding");
  assert.equal(specFor(profile, "qwen3:8b")!.size, 5_225_376_047);
  assert.throws(
    () => resolveProfile({ yaml: "models:\n  - { name: x }\n" }),
    /models: \[0\] 'size' of x:latest must be a positive number of bytes/,
  );
});

Deno.test("the example profile in scripts/sim/example_profile.yaml loads", async () => {
  const yaml = await Deno.readTextFile(new URL("./example_profile.yaml", import.meta.url));
  const profile = resolveProfile({ yaml });
  assert.equal(profile.gpus[0]!.vram, 24 * 1024 ** 3);
  assert.deepEqual(profile.models, [
    "qwen3:8b",
    "llama3.2:3b",
    "nomic-embed-text:latest",
    "acme/coder:13b",
  ]);
  assert.deepEqual(profile.preload, ["llama3.2:3b"]);
});
