/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { groupPulls } from "./pull_groups.ts";
import { pull } from "./testing.ts";

Deno.test("groupPulls() sums one model's pulls over hosts and counts each outcome", () => {
  const groups = groupPulls(
    [
      pull("1", "b", "qwen3:8b", { hostName: "b", completed: 25, total: 100 }),
      pull("2", "a", "qwen3:8b", { hostName: "a", state: "done", total: 100, endedAt: 900 }),
      pull("3", "c", "qwen3:8b", {
        hostName: "c",
        state: "failed",
        error: "disk full",
        endedAt: 950,
      }),
      pull("4", "d", "qwen3:8b", { hostName: "d", state: "cancelled", total: 100, endedAt: 950 }),
    ],
    1000,
    60_000,
  );
  assert.equal(groups.length, 1);
  const g = groups[0]!;
  assert.deepEqual(g.jobs.map((j) => j.hostName), ["a", "b", "c", "d"]);
  assert.deepEqual([g.running, g.done, g.failed, g.cancelled], [1, 1, 1, 1]);
  assert.deepEqual([g.completed, g.total, g.progress], [125, 200, 0.625]);
});

Deno.test("groupPulls() drops old finished pulls and puts the newest model first", () => {
  const groups = groupPulls(
    [
      pull("old", "a", "llama3.2", { state: "done", startedAt: 1, endedAt: 2 }),
      pull("x", "a", "gemma3:1b", { startedAt: 10 }),
      pull("y", "a", "llama3.2:latest", { startedAt: 20, state: "done", endedAt: 90_000 }),
    ],
    100_000,
    60_000,
  );
  assert.deepEqual(groups.map((g) => [g.model, g.jobs.length]), [
    ["llama3.2:latest", 1],
    ["gemma3:1b", 1],
  ]);
  assert.equal(groups[0]!.progress, 1, "done with no size known is complete");
  assert.equal(groups[1]!.progress, null, "no size known yet");
});
