/**
 * The simulator's fault switches, seen through real clients over real sockets: the behaviours the
 * hub's reliability tests will lean on.
 */

import assert from "node:assert/strict";
import { Ollama } from "ollama";
import { simState, startTestSim, waitFor } from "./_utils.ts";

async function setFaults(url: string, spec: unknown): Promise<Response> {
  return await fetch(`${url}/_sim/faults`, { method: "POST", body: JSON.stringify(spec) });
}

Deno.test("fail: the next N requests to a path answer the given status, then all is well", async () => {
  await using sim = startTestSim();
  const ollama = new Ollama({ host: sim.url });
  await (await setFaults(sim.url, {
    fail: { count: 2, status: 500, error: "boom", path: "/api/chat" },
  })).body?.cancel();
  // Another path is unaffected.
  assert.equal((await ollama.version()).version, "0.33.0");
  const chat = () =>
    ollama.chat({
      model: "llama3.2:3b",
      messages: [{ role: "user", content: "x" }],
      options: { num_predict: 1 },
    });
  for (let i = 0; i < 2; i++) {
    await assert.rejects(chat(), { name: "ResponseError", status_code: 500, message: "boom" });
  }
  assert.equal((await chat()).done, true);
});

Deno.test("cut: a stream is aborted mid-way and ollama-js sees a broken stream", async () => {
  await using sim = startTestSim();
  const ollama = new Ollama({ host: sim.url });
  await (await setFaults(sim.url, { cut: { after: 3 } })).body?.cancel();
  const received: string[] = [];
  await assert.rejects(async () => {
    const stream = await ollama.generate({
      model: "llama3.2:3b",
      prompt: "x",
      options: { num_predict: 50 },
      stream: true,
    });
    for await (const part of stream) received.push(part.response ?? "");
  });
  assert.equal(received.length, 3);
  // The slot was released: the host serves the next request.
  await waitFor(
    "the slot to free",
    async () => (await simState(sim.url)).loaded[0]?.in_flight === 0,
  );
  const next = await ollama.generate({ model: "llama3.2:3b", prompt: "y", stream: false });
  assert.equal(next.done, true);
});

Deno.test("stall: nothing arrives until the stall ends, and the client may give up first", async () => {
  await using sim = startTestSim();
  await (await setFaults(sim.url, { stall: { count: 1, ms: 60_000 } })).body?.cancel();
  const controller = new AbortController();
  const pending = fetch(`${sim.url}/api/version`, { signal: controller.signal });
  const raced = await Promise.race([
    pending.then(() => "answered"),
    new Promise((resolve) => setTimeout(() => resolve("still waiting"), 100)),
  ]);
  assert.equal(raced, "still waiting");
  controller.abort();
  await assert.rejects(pending, { name: "AbortError" });
  // The stall was used up by that request.
  assert.equal((await (await fetch(`${sim.url}/api/version`)).json()).version, "0.33.0");
});

Deno.test("refuse: connections are refused for a while, then accepted again", async () => {
  await using sim = startTestSim();
  await (await setFaults(sim.url, { refuse: { ms: 300 } })).body?.cancel();
  await waitFor("connections to be refused", async () => {
    try {
      await (await fetch(`${sim.url}/api/version`)).body?.cancel();
      return false;
    } catch (error) {
      return (error as Error).name === "TypeError";
    }
  });
  const back = await waitFor("connections to be accepted again", async () => {
    try {
      return await (await fetch(`${sim.url}/api/version`)).json();
    } catch {
      return undefined;
    }
  });
  assert.equal(back.version, "0.33.0");
});

Deno.test("slow_load: the next load takes longer, visible in load_duration", async () => {
  await using sim = startTestSim({ speed: 100 });
  const ollama = new Ollama({ host: sim.url });
  const request = { model: "llama3.2:3b", prompt: "", keep_alive: 0 } as const;
  const normal = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "x",
    options: { num_predict: 1 },
    stream: false,
  });
  await ollama.generate({ ...request, stream: false });
  await (await setFaults(sim.url, { slow_load: { ms: 200 } })).body?.cancel();
  const slow = await ollama.generate({
    model: "llama3.2:3b",
    prompt: "x",
    options: { num_predict: 1 },
    stream: false,
  });
  assert.ok(slow.load_duration >= 200e6, `${slow.load_duration}`);
  assert.ok(slow.load_duration > normal.load_duration);
});

Deno.test("faults reject bad specs with a clear message", async () => {
  await using sim = startTestSim();
  const bad = await setFaults(sim.url, { fail: { status: 200 } });
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), {
    error: "Cannot set fail: 'status' must be 400..599: current value is 200",
  });
  const cleared = await fetch(`${sim.url}/_sim/faults`, { method: "DELETE" });
  assert.deepEqual(await cleared.json(), {});
});
