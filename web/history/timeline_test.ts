/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { buildTimeline, position } from "./timeline.ts";
import type { ModelEventView, ServerEventView } from "./types.ts";

const A = { id: "a", name: "gpu-a" };
const B = { id: "b", name: "gpu-b" };
const RANGE = { from: 1000, to: 2000 };
let seq = 0;

function model(
  host: typeof A,
  time: number,
  event: ModelEventView["event"],
  name: string,
  loadedMs: number | null = null,
): ModelEventView {
  return {
    id: `m${String(seq++).padStart(3, "0")}`,
    time,
    host,
    model: name,
    event,
    digest: null,
    size: null,
    sizeVram: null,
    loadedMs,
    detail: null,
  };
}

function server(
  host: typeof A,
  time: number,
  event: ServerEventView["event"],
  previous: string | null = null,
  detail: string | null = null,
): ServerEventView {
  return { id: `s${String(seq++).padStart(3, "0")}`, time, host, event, previous, detail };
}

Deno.test("buildTimeline() pairs loads with unloads and leaves open what is still loaded", () => {
  const [lane] = buildTimeline(
    [
      model(A, 1500, "unload", "qwen3:8b"),
      model(A, 1200, "load", "qwen3:8b"),
      model(A, 1800, "load", "llama3.2:3b"),
      model(A, 1300, "added", "gemma3:4b"),
    ],
    [],
    RANGE,
  );
  assert.equal(lane!.host, A);
  assert.deepEqual(lane!.models, [
    { start: 1200, end: 1500, label: "qwen3:8b", openStart: false, openEnd: false, row: 0 },
    { start: 1800, end: 2000, label: "llama3.2:3b", openStart: false, openEnd: true, row: 0 },
  ]);
  assert.equal(lane!.rows, 1);
});

Deno.test("buildTimeline() starts an unload without its load at the time it had been loaded", () => {
  const [lane] = buildTimeline(
    [
      model(A, 1400, "unload", "a", 100),
      model(A, 1600, "unload", "b", 5000),
      model(A, 1700, "unload", "c"),
    ],
    [],
    RANGE,
  );
  assert.deepEqual(lane!.models.map((s) => [s.label, s.start, s.end, s.openStart]), [
    ["b", 1000, 1600, true],
    ["c", 1000, 1700, true],
    ["a", 1300, 1400, false],
  ]);
});

Deno.test("buildTimeline() puts overlapping loads on separate rows", () => {
  const [lane] = buildTimeline(
    [
      model(A, 1100, "load", "x"),
      model(A, 1200, "load", "y"),
      model(A, 1300, "unload", "x"),
      model(A, 1400, "load", "z"),
    ],
    [],
    RANGE,
  );
  assert.deepEqual(lane!.models.map((s) => [s.label, s.row]), [["x", 0], ["y", 1], ["z", 0]]);
  assert.equal(lane!.rows, 2);
});

Deno.test("buildTimeline() turns status events into state spans and the rest into marks", () => {
  const [lane] = buildTimeline([], [
    server(A, 1200, "offline", "online"),
    server(A, 1300, "online", "offline"),
    server(A, 1250, "reboot", "old-boot", "boot id new"),
    server(A, 900, "ollama-version", "0.1", "0.2"),
  ], RANGE);
  assert.deepEqual(lane!.states.map((s) => [s.label, s.start, s.end, s.openStart, s.openEnd]), [
    ["online", 1000, 1200, true, false],
    ["offline", 1200, 1300, false, false],
    ["online", 1300, 2000, false, true],
  ]);
  assert.deepEqual(lane!.marks, [{ time: 1250, event: "reboot", detail: "boot id new" }]);
});

Deno.test("buildTimeline() knows no state before discovery and none after removal", () => {
  const [lane] = buildTimeline([], [
    server(A, 1100, "discovered", null, "agent"),
    server(A, 1101, "online", "offline"),
    server(A, 1900, "removed", "online"),
  ], RANGE);
  assert.deepEqual(lane!.states.map((s) => [s.label, s.start, s.end]), [
    ["offline", 1100, 1101],
    ["online", 1101, 1900],
  ]);
  assert.deepEqual(lane!.marks.map((m) => m.event), ["discovered", "removed"]);
});

Deno.test("buildTimeline() gives each host a lane, by name", () => {
  const lanes = buildTimeline(
    [model(B, 1100, "load", "x")],
    [server(A, 1100, "online", "offline")],
    RANGE,
  );
  assert.deepEqual(lanes.map((l) => l.host.name), ["gpu-a", "gpu-b"]);
  assert.deepEqual(buildTimeline([], [], RANGE), []);
});

Deno.test("position() places a time across the range in percent, clamped", () => {
  assert.equal(position(1500, RANGE), 50);
  assert.equal(position(500, RANGE), 0);
  assert.equal(position(2500, RANGE), 100);
  assert.equal(position(1, { from: 5, to: 5 }), 0);
});
