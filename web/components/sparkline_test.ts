/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { sparkPath } from "./sparkline.tsx";

Deno.test("sparkPath() scales time to width and percent to height, broken at gaps", () => {
  const box = { width: 100, height: 12, end: 1000, windowMs: 1000 };
  const points = [
    { t: 0, gpu: 0, cpu: 10, vram: 0.5 },
    { t: 500, gpu: 100, cpu: null, vram: 0.5 },
    { t: 750, gpu: null, cpu: 20, vram: 0.5 },
    { t: 1000, gpu: 50, cpu: 20, vram: 0.5 },
  ];
  assert.equal(sparkPath(points, "gpu", box), "M0.0 11.0L50.0 1.0M100.0 6.0");
  assert.equal(sparkPath(points, "vram", box), "M0.0 6.0L50.0 6.0L75.0 6.0L100.0 6.0");
  assert.equal(sparkPath([], "cpu", box), "");
});

Deno.test("sparkPath() clamps values outside 0-100", () => {
  const box = { width: 10, height: 12, end: 0, windowMs: 1 };
  assert.equal(sparkPath([{ t: 0, gpu: 140, cpu: -5, vram: null }], "gpu", box), "M10.0 1.0");
  assert.equal(sparkPath([{ t: 0, gpu: 140, cpu: -5, vram: null }], "cpu", box), "M10.0 11.0");
});
