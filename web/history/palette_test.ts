/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { assignColors, colorAt, colorOf, PALETTE } from "./palette.ts";

Deno.test("colorAt() wraps around the palette", () => {
  assert.equal(colorAt(0), PALETTE[0]);
  assert.equal(colorAt(PALETTE.length + 1), PALETTE[1]);
  assert.equal(colorAt(-1), PALETTE[PALETTE.length - 1]);
});

Deno.test("assignColors() keeps a name's colour whatever the order, while it is free", () => {
  const names = ["qwen3:8b", "llama3.2:3b", "gemma3:4b"];
  const a = assignColors(names);
  const b = assignColors([...names].reverse()).reverse();
  assert.equal(a[0], colorOf("qwen3:8b"));
  assert.deepEqual(new Set(a).size, 3);
  // The first line always gets its own colour.
  assert.equal(assignColors(["gemma3:4b"])[0], colorOf("gemma3:4b"));
  assert.equal(b[2], colorOf("gemma3:4b"));
});

Deno.test("assignColors() never repeats a colour while the palette lasts", () => {
  const names = Array.from({ length: PALETTE.length }, (_, i) => `model-${i}`);
  assert.equal(new Set(assignColors(names)).size, PALETTE.length);
  const more = assignColors([...names, "one-more"]);
  assert.equal(more.length, PALETTE.length + 1);
});
