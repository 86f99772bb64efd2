import assert from "node:assert/strict";
import { displayName, modelKey, normalizeModelName, parseModelName } from "./model_name.ts";

Deno.test("parseModelName() fills in Ollama's default host, namespace and tag", () => {
  assert.deepEqual(parseModelName("qwen3"), {
    host: "registry.ollama.ai",
    namespace: "library",
    model: "qwen3",
    tag: "latest",
  });
  assert.deepEqual(parseModelName("me/model:v1"), {
    host: "registry.ollama.ai",
    namespace: "me",
    model: "model",
    tag: "v1",
  });
  assert.deepEqual(parseModelName("localhost:5000/me/model:v1")?.host, "localhost:5000");
  assert.equal(parseModelName("qwen3:8b@sha256:abc")?.tag, "8b");
});

Deno.test("parseModelName() rejects names Ollama calls invalid", () => {
  for (const bad of ["", " ", "a/b/c/d", "bad name", "model:", ":tag", "-model", "a/:t"]) {
    assert.equal(parseModelName(bad), undefined, JSON.stringify(bad));
  }
});

Deno.test("displayName() uses the shortest form, always with a tag", () => {
  assert.equal(normalizeModelName("llama3.2"), "llama3.2:latest");
  assert.equal(normalizeModelName("registry.ollama.ai/library/qwen3:8b"), "qwen3:8b");
  assert.equal(normalizeModelName("registry.ollama.ai/me/m"), "me/m:latest");
  assert.equal(displayName(parseModelName("example.com/me/m:v2")!), "example.com/me/m:v2");
});

Deno.test("modelKey() matches names that differ only in case or defaults", () => {
  assert.equal(modelKey("QWEN3"), modelKey("registry.ollama.ai/library/qwen3:latest"));
  assert.notEqual(modelKey("qwen3:8b"), modelKey("qwen3:4b"));
  assert.equal(modelKey("bad name"), undefined);
});
