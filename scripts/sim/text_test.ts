import assert from "node:assert/strict";
import { applyStop } from "./engine.ts";
import {
  countTokens,
  embedding,
  jsonReply,
  replyTokens,
  toolArguments,
  truncateEmbedding,
} from "./text.ts";

Deno.test("replyTokens() is a pure function of model, prompt and seed", () => {
  const a = replyTokens("m", "hello", 1, { length: [10, 40] });
  assert.deepEqual(a, replyTokens("m", "hello", 1, { length: [10, 40] }));
  assert.notDeepEqual(a, replyTokens("m", "hello", 2, { length: [10, 40] }));
  assert.notDeepEqual(a, replyTokens("other", "hello", 1, { length: [10, 40] }));
  assert.ok(a.length >= 10 && a.length <= 40);
  assert.match(a.at(-1)!, /^[.!?;]$/, "ends a sentence");
});

Deno.test("replyTokens() sometimes emits multi-byte UTF-8 tokens", () => {
  const all = Array.from({ length: 40 }, (_, i) => replyTokens("m", "p", i, { length: [60, 60] }))
    .flat();
  assert.ok(
    all.some((t) => new TextEncoder().encode(t).length > t.length),
    "some token is multi-byte",
  );
});

Deno.test("countTokens() counts words, numbers and punctuation", () => {
  assert.equal(countTokens("Hello, world!"), 4);
  assert.equal(countTokens(""), 0);
  assert.equal(countTokens("café 42"), 2);
});

Deno.test("jsonReply() gives valid JSON of the schema's shape", () => {
  const value = JSON.parse(jsonReply({
    type: "object",
    properties: {
      name: { type: "string" },
      age: { type: "integer" },
      tags: { type: "array", items: { type: "string" } },
      mood: { enum: ["happy", "sad"] },
    },
  }, 5));
  assert.equal(typeof value.name, "string");
  assert.ok(Number.isInteger(value.age));
  assert.ok(Array.isArray(value.tags));
  assert.ok(["happy", "sad"].includes(value.mood));
  assert.deepEqual(Object.keys(JSON.parse(jsonReply("json", 1))), ["answer"]);
});

Deno.test("toolArguments() fills declared parameters", () => {
  const args = toolArguments({
    type: "object",
    properties: { city: { type: "string" }, n: { type: "number" } },
  }, 3);
  assert.equal(args.city, "Paris");
  assert.equal(typeof args.n, "number");
  assert.deepEqual(toolArguments(undefined, 1), {});
});

Deno.test("embedding() is deterministic, L2-normalised and truncates with re-normalisation", () => {
  const v = embedding("m", "text", 384);
  assert.deepEqual(v, embedding("m", "text", 384));
  const norm = (x: number[]) => Math.sqrt(x.reduce((s, y) => s + y * y, 0));
  assert.ok(Math.abs(norm(v) - 1) < 1e-6);
  const short = truncateEmbedding(v, 32);
  assert.equal(short.length, 32);
  assert.ok(Math.abs(norm(short) - 1) < 1e-6);
});

Deno.test("applyStop() cuts before the first stop sequence, even inside a token", () => {
  assert.deepEqual(applyStop(["Hello", " wor", "ld", "!"], ["or"]), {
    kept: ["Hello", " w"],
    stopped: true,
  });
  assert.deepEqual(applyStop(["a", "b"], ["zz", ""]), { kept: ["a", "b"], stopped: false });
  assert.deepEqual(applyStop(["ab", "cd"], ["cd", "b"]), { kept: ["a"], stopped: true });
});

Deno.test("replyTokens() with `max` gives a prefix of the full reply", () => {
  const full = replyTokens("m", "p", 4, { length: [50, 50] });
  assert.deepEqual(replyTokens("m", "p", 4, { length: [50, 50], max: 7 }), full.slice(0, 7));
  assert.deepEqual(replyTokens("m", "p", 4, { length: [50, 50], max: 500 }), full);
});
