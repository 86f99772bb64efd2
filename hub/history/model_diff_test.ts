import assert from "node:assert/strict";
import type { DiskModel, LoadedModel } from "../../shared/protocol.ts";
import { initialModelState, nextModelState } from "./model_diff.ts";

const loaded = (name: string, digest = `d-${name}`, size = 5e9): LoadedModel => ({
  name,
  digest,
  size,
  sizeVram: size,
  contextLength: 4096,
  expiresAt: null,
});
const disk = (name: string, digest = `d-${name}`): DiskModel => ({
  name,
  digest,
  size: 4e9,
  modifiedAt: "2026-01-01T00:00:00Z",
  family: "llama",
  parameterSize: "8B",
  quantization: "Q4_K_M",
});

Deno.test("a host's first snapshot sets the baseline without events", () => {
  const { changes } = nextModelState(null, [loaded("a")], [disk("a")], 1000);
  assert.deepEqual(changes, []);
});

Deno.test("loads and unloads between snapshots, with how long the model stayed", () => {
  let state = initialModelState([loaded("old")], [disk("old"), disk("new")]);
  let step = nextModelState(
    state,
    [loaded("old"), loaded("new")],
    [disk("old"), disk("new")],
    10_000,
  );
  assert.deepEqual(step.changes.map((c) => [c.event, c.model]), [["load", "new"]]);
  assert.equal(step.changes[0]!.sizeVram, 5e9);
  state = step.state;

  step = nextModelState(state, [loaded("old")], [disk("old"), disk("new")], 70_000);
  assert.deepEqual(step.changes, [{
    event: "unload",
    model: "new",
    digest: "d-new",
    size: 5e9,
    sizeVram: 5e9,
    loadedMs: 60_000,
  }]);

  step = nextModelState(step.state, [], [disk("old"), disk("new")], 80_000);
  assert.equal(step.changes[0]!.model, "old");
  assert.equal(step.changes[0]!.loadedMs, null, "loaded before the hub first saw the host");
});

Deno.test("an unchanged snapshot gives no events and keeps the load time", () => {
  const first = initialModelState([], []);
  const loadedNow = nextModelState(first, [loaded("a")], [], 5_000).state;
  const again = nextModelState(loadedNow, [loaded("a")], [], 9_000);
  assert.deepEqual(again.changes, []);
  assert.equal(again.state.loaded.get("a")!.since, 5_000);
});

Deno.test("a new digest under the same name is an unload and a load", () => {
  const state = nextModelState(initialModelState([], []), [loaded("m", "v1")], [], 1_000).state;
  const { changes } = nextModelState(state, [loaded("m", "v2")], [], 2_000);
  assert.deepEqual(changes.map((c) => [c.event, c.digest]), [["unload", "v1"], ["load", "v2"]]);
});

Deno.test("models added to and removed from disk", () => {
  const state = initialModelState([], [disk("a"), disk("b")]);
  const { changes } = nextModelState(state, [], [disk("a", "a2"), disk("c")], 1_000);
  assert.deepEqual(changes.map((c) => [c.event, c.model, c.digest]), [
    ["removed", "a", "d-a"],
    ["added", "a", "a2"],
    ["added", "c", "d-c"],
    ["removed", "b", "d-b"],
  ]);
});
