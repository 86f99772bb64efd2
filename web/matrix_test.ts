/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import {
  canonicalModel,
  cellKey,
  cellState,
  isLoaded,
  latestPulls,
  modelRows,
  pullProgress,
  sameRows,
  splitCellKey,
} from "./matrix.ts";
import { host, pull } from "./testing.ts";

Deno.test("canonicalModel() adds :latest only where Ollama would", () => {
  assert.equal(canonicalModel("llama3.2"), "llama3.2:latest");
  assert.equal(canonicalModel(" qwen3:8b "), "qwen3:8b");
  assert.equal(canonicalModel("hf.co/org/repo:Q4_K_M"), "hf.co/org/repo:Q4_K_M");
  assert.equal(canonicalModel("localhost:5000/org/model"), "localhost:5000/org/model:latest");
});

Deno.test("cellKey() and splitCellKey() round-trip a host and a canonical model", () => {
  assert.equal(cellKey("h1", "llama3.2"), cellKey("h1", "llama3.2:latest"));
  assert.deepEqual(splitCellKey(cellKey("h1", "qwen3:8b")), { hostId: "h1", model: "qwen3:8b" });
});

Deno.test("modelRows() is the union of models on disk, loaded and being pulled, by name", () => {
  const rows = modelRows([
    host("a", { models: ["qwen3:8b", "llama3.2:3b"], loaded: ["qwen3:8b"] }),
    host("b", { models: ["qwen3:8b"] }),
    host("c", { snapshot: null }),
  ], [
    pull("p1", "b", "gemma3", { state: "running" }),
    pull("p2", "b", "old:1b", { state: "done" }),
    pull("p3", "a", "broken:1b", { state: "failed", error: "not found" }),
  ]);
  assert.deepEqual(rows.map((r) => r.name), [
    "broken:1b",
    "gemma3:latest",
    "llama3.2:3b",
    "qwen3:8b",
  ]);
  const qwen = rows.find((r) => r.name === "qwen3:8b")!;
  assert.deepEqual(
    { onDisk: qwen.onDisk, loaded: qwen.loaded, size: qwen.size, quant: qwen.quantization },
    { onDisk: 2, loaded: 1, size: 5e9, quant: "Q4_K_M" },
  );
  assert.equal(rows.find((r) => r.name === "gemma3:latest")!.size, null);
});

Deno.test("sameRows() tells an unchanged matrix from a changed one", () => {
  const hosts = [host("a", { models: ["qwen3:8b"] })];
  assert.ok(sameRows(modelRows(hosts), modelRows(hosts)));
  assert.ok(
    !sameRows(
      modelRows(hosts),
      modelRows([host("a", { models: ["qwen3:8b"], loaded: ["qwen3:8b"] })]),
    ),
  );
  assert.ok(!sameRows(modelRows(hosts), []));
});

Deno.test("cellState() shows loaded, loading, pulling, on disk, failed and absent", async (t) => {
  const h = host("a", { models: ["qwen3:8b", "llama3.2:latest"], loaded: ["qwen3:8b"] });
  await t.step("loaded wins over everything", () => {
    const cell = cellState(h, "qwen3:8b", { loading: true });
    assert.equal(cell.state, "loaded");
    assert.equal(cell.state === "loaded" && cell.loaded.sizeVram, 6e9);
  });
  await t.step("a load started here shows until the snapshot has it", () => {
    assert.equal(cellState(h, "llama3.2", { loading: true }).state, "loading");
  });
  await t.step("a running pull, with its progress", () => {
    const job = pull("p", "a", "gemma3:1b", { completed: 250, total: 1000 });
    const cell = cellState(h, "gemma3:1b", { pull: job });
    assert.deepEqual(cell, { state: "pulling", pull: job, progress: 0.25 });
  });
  await t.step("on disk, even when an older pull failed", () => {
    const failed = pull("p", "a", "llama3.2", { state: "failed", error: "x" });
    assert.equal(cellState(h, "llama3.2", { pull: failed }).state, "disk");
  });
  await t.step("failed where the model is not on disk", () => {
    const failed = pull("p", "a", "nope:1b", { state: "failed", error: "not found" });
    assert.equal(cellState(h, "nope:1b", { pull: failed }).state, "failed");
  });
  await t.step("absent, and absent on a host with no snapshot", () => {
    assert.equal(cellState(h, "other:1b").state, "absent");
    assert.equal(cellState(host("b", { snapshot: null }), "qwen3:8b").state, "absent");
  });
});

Deno.test("latestPulls() keeps the newest pull per host and model", () => {
  const latest = latestPulls([
    pull("old", "a", "qwen3:8b", { startedAt: 1, state: "failed" }),
    pull("new", "a", "qwen3:8b", { startedAt: 2 }),
    pull("other", "b", "qwen3:8b", { startedAt: 1 }),
  ]);
  assert.equal(latest.get(cellKey("a", "qwen3:8b"))!.id, "new");
  assert.equal(latest.get(cellKey("b", "qwen3:8b"))!.id, "other");
  assert.equal(latest.size, 2);
});

Deno.test("pullProgress() is a fraction once sizes are known", () => {
  assert.equal(pullProgress(pull("p", "a", "m")), null);
  assert.equal(pullProgress(pull("p", "a", "m", { completed: 5, total: 0 })), null);
  assert.equal(pullProgress(pull("p", "a", "m", { completed: 5, total: 10 })), 0.5);
  assert.equal(pullProgress(pull("p", "a", "m", { completed: 12, total: 10 })), 1);
  assert.equal(pullProgress(pull("p", "a", "m", { state: "done" })), 1);
});

Deno.test("isLoaded() matches names the way Ollama stores them", () => {
  const h = host("a", { loaded: ["llama3.2:latest"] });
  assert.ok(isLoaded(h, "llama3.2"));
  assert.ok(!isLoaded(h, "qwen3:8b"));
});
