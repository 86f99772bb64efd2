/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { formatModelList, parseModelList } from "./model_list.ts";

Deno.test("parseModelList() reads names and patterns separated by commas, spaces or lines", () => {
  assert.deepEqual(parseModelList("qwen3:8b, llama3.2:3b\nqwen3:*  gemma3"), {
    models: ["qwen3:8b", "llama3.2:3b", "qwen3:*", "gemma3"],
  });
  assert.deepEqual(parseModelList("library/llama3:latest,qwen3:8b,qwen3:8b"), {
    models: ["library/llama3:latest", "qwen3:8b"],
  });
});

Deno.test("parseModelList() allows every model for nothing or a lone star", () => {
  assert.deepEqual(parseModelList(""), { models: null });
  assert.deepEqual(parseModelList("  \n , "), { models: null });
  assert.deepEqual(parseModelList("qwen3:8b, *"), { models: null });
});

Deno.test("parseModelList() names the first pattern that cannot be a model", () => {
  for (const bad of ["qwen*", "qwen3:8*", ":8b", "qwen3:8b:x", "-x", "qwen3:*:x"]) {
    const result = parseModelList(`llama3, ${bad}`);
    assert.ok("error" in result, bad);
    assert.match(result.error, new RegExp(`^"${bad.replace(/[*]/g, "\\*")}" is not a model`));
  }
});

Deno.test("formatModelList() reads an allow-list back", () => {
  assert.equal(formatModelList(null), "every model");
  assert.equal(formatModelList(["qwen3:*", "llama3.2:3b"]), "qwen3:*, llama3.2:3b");
});
