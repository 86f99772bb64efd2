/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { explainRequest, parseRoute, routeShort, statusTone } from "./routing.ts";
import type { RequestView } from "./types.ts";

function request(change: Partial<RequestView>): RequestView {
  return {
    id: "r",
    time: 0,
    hub: "hub-1",
    apiKey: null,
    client: null,
    method: "POST",
    endpoint: "/api/chat",
    model: "qwen3:8b",
    host: { id: "h", name: "gpu-4090" },
    route: "loaded",
    attempts: 1,
    queuedMs: null,
    status: 200,
    error: null,
    stream: true,
    promptTokens: 10,
    completionTokens: 100,
    ttfbMs: 80,
    durationMs: 1200,
    loadMs: null,
    bytesIn: 100,
    bytesOut: 2000,
    ...change,
  };
}

Deno.test("explainRequest() names the host and why the router chose it", () => {
  assert.deepEqual(explainRequest(request({})), [
    'Sent to gpu-4090 because the model was already loaded on this host and it had a free slot (route "loaded").',
  ]);
  assert.match(
    explainRequest(request({ route: "weird" }))[0]!,
    /^Sent to gpu-4090 \(route "weird"\)\.$/,
  );
  assert.match(explainRequest(request({ route: null }))[0]!, /no route reason recorded/);
});

Deno.test("explainRequest() tells of retries, queueing, loading and errors", () => {
  const lines = explainRequest(request({
    route: "on-disk",
    attempts: 3,
    queuedMs: 1500,
    loadMs: 4200,
    status: 200,
    error: "upstream closed the stream",
  }));
  assert.equal(lines.length, 5);
  assert.match(lines[1]!, /^3 hosts were tried: the first 2 failed/);
  assert.equal(lines[2], "It waited 1.5 s in the fleet queue for a free slot.");
  assert.equal(lines[3], "Ollama spent 4.2 s loading the model before answering.");
  assert.equal(lines[4], "It ended with an error: upstream closed the stream");
});

Deno.test("explainRequest() explains a request no host answered", () => {
  const lines = explainRequest(request({ host: null, route: null, status: 404 }));
  assert.deepEqual(lines, [
    'No host answered: the hub refused or could not route "qwen3:8b".',
    "The answer was an error (HTTP 404).",
  ]);
});

Deno.test("routeShort() and statusTone() give a route and a status their short forms", () => {
  assert.equal(routeShort("loaded-busy"), "loaded, busy");
  assert.equal(routeShort(null), "–");
  assert.equal(routeShort("new-rule"), "new-rule");
  assert.equal(statusTone({ status: 200, error: null }), "ok");
  assert.equal(statusTone({ status: 200, error: "cut" }), "bad");
  assert.equal(statusTone({ status: 429, error: null }), "warn");
  assert.equal(statusTone({ status: 503, error: "x" }), "bad");
});

Deno.test("parseRoute() and explainRequest() read the details the hub records with a route", () => {
  assert.deepEqual(parseRoute("on-disk; ctx=8192; load=6.3GB; evicts=a:1b,b:2b; waits-for-busy"), {
    reason: "on-disk",
    details: { ctx: "8192", load: "6.3GB", evicts: "a:1b,b:2b", "waits-for-busy": "" },
  });
  assert.equal(routeShort("loaded; ctx=8192"), "loaded");
  assert.equal(routeShort("reload; ctx=16384; load=8GB"), "reload");
  const lines = explainRequest(request({
    route: "on-disk; ctx=8192; load=6.3GB; evicts=gemma3:12b,llama3.2:3b",
  }));
  assert.ok(lines[0]!.includes('(route "on-disk")'), lines[0]);
  assert.ok(
    lines.includes(
      "The hub expected the load with a 8192-token context to take 6.3GB of GPU memory.",
    ),
    lines.join("\n"),
  );
  assert.ok(lines.includes("To make room, Ollama was expected to unload gemma3:12b, llama3.2:3b."));
});
