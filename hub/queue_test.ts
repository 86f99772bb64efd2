import assert from "node:assert/strict";
import { FleetQueue, QueueError, type RetryOutcome } from "./queue.ts";

/** A pool of `free` slots shared by every model; retry takes one when there is one. */
function pool(free: number) {
  const state = { free, order: [] as string[] };
  const retry = (label: string) => (): RetryOutcome<string> => {
    if (state.free === 0) return { type: "wait" };
    state.free--;
    state.order.push(label);
    return { type: "granted", value: label };
  };
  return { state, retry };
}

Deno.test("FleetQueue.wait() refuses at once past its bound", async () => {
  const queue = new FleetQueue<string>({ max: 2, timeoutMs: 60_000 });
  const { retry } = pool(0);
  const abort = new AbortController();
  const a = queue.wait("m", retry("a"), abort.signal);
  const b = queue.wait("m", retry("b"), abort.signal);
  await assert.rejects(
    queue.wait("m", retry("c")),
    (e) => e instanceof QueueError && e.reason === "full",
  );
  assert.equal(queue.size, 2);
  abort.abort();
  await Promise.allSettled([a, b]);
  assert.equal(queue.size, 0);
});

Deno.test("FleetQueue.pump() serves one model first come, first served", async () => {
  const queue = new FleetQueue<string>({ max: 10, timeoutMs: 60_000 });
  const { state, retry } = pool(0);
  const waits = ["a", "b", "c"].map((label) => queue.wait("m", retry(label)));
  state.free = 2;
  queue.pump();
  assert.deepEqual(state.order, ["a", "b"]);
  assert.equal(queue.size, 1);
  state.free = 1;
  queue.pump();
  assert.deepEqual(await Promise.all(waits), ["a", "b", "c"]);
});

Deno.test("FleetQueue.pump() takes models in turn", async () => {
  const queue = new FleetQueue<string>({ max: 10, timeoutMs: 60_000 });
  const { state, retry } = pool(0);
  const waits = [
    queue.wait("busy", retry("busy-1")),
    queue.wait("busy", retry("busy-2")),
    queue.wait("busy", retry("busy-3")),
    queue.wait("rare", retry("rare-1")),
  ];
  state.free = 2;
  queue.pump();
  assert.deepEqual(state.order, ["busy-1", "rare-1"], "the rare model is not starved");
  state.free = 2;
  queue.pump();
  await Promise.all(waits);
  assert.deepEqual(state.order, ["busy-1", "rare-1", "busy-2", "busy-3"]);
});

Deno.test("FleetQueue.pump() rejects a request whose retry failed", async () => {
  const queue = new FleetQueue<string>({ max: 10, timeoutMs: 60_000 });
  let failed = false;
  const wait = queue.wait(
    "m",
    () => failed ? { type: "failed", error: new Error("gone") } : { type: "wait" },
  );
  queue.pump();
  failed = true;
  queue.pump();
  await assert.rejects(wait, /gone/);
  assert.equal(queue.size, 0);
});

Deno.test("FleetQueue.wait() gives up after its timeout and when the client leaves", async () => {
  const queue = new FleetQueue<string>({ max: 10, timeoutMs: 20 });
  await assert.rejects(
    queue.wait("m", () => ({ type: "wait" })),
    (e) => e instanceof QueueError && e.reason === "timeout",
  );
  const abort = new AbortController();
  const long = new FleetQueue<string>({ max: 10, timeoutMs: 60_000 });
  const wait = long.wait("m", () => ({ type: "wait" }), abort.signal);
  abort.abort();
  await assert.rejects(wait, (e) => e instanceof QueueError && e.reason === "aborted");
  assert.equal(long.size, 0);
  assert.deepEqual(long.sizes(), {});
});
