import assert from "node:assert/strict";
import { Invalid } from "../shared/config_fields.ts";
import { modelKey } from "../shared/model_name.ts";
import {
  applyPolicy,
  DEFAULT_POLICY,
  type FleetPolicy,
  keepAliveSetting,
  modelPolicies,
  numCtxSetting,
  policyFor,
  withNumCtx,
} from "./fleet_policy.ts";

Deno.test("applyPolicy() sets num_ctx and keep_alive only where the request sets none", async (t) => {
  const policy = { numCtx: 8192, keepAlive: "30m" };
  await t.step("none given: both set, other options kept", () => {
    const body: Record<string, unknown> = { model: "m", prompt: "hi", options: { seed: 1 } };
    assert.deepEqual(applyPolicy(body, policy), { numCtx: 8192, changed: true });
    assert.deepEqual(body, {
      model: "m",
      prompt: "hi",
      options: { seed: 1, num_ctx: 8192 },
      keep_alive: "30m",
    });
  });
  await t.step("the client's own values are never changed", () => {
    const body: Record<string, unknown> = { model: "m", options: { num_ctx: 4096 }, keep_alive: 0 };
    assert.deepEqual(applyPolicy(body, policy), { numCtx: 4096, changed: false });
    assert.deepEqual(body, { model: "m", options: { num_ctx: 4096 }, keep_alive: 0 });
  });
  await t.step("a malformed options is left for Ollama to refuse", () => {
    const body: Record<string, unknown> = { model: "m", options: "fast" };
    assert.deepEqual(applyPolicy(body, { numCtx: 8192, keepAlive: null }), {
      numCtx: null,
      changed: false,
    });
    assert.equal(body.options, "fast");
  });
  await t.step("policy off: nothing changes", () => {
    const body: Record<string, unknown> = { model: "m" };
    assert.deepEqual(applyPolicy(body, { numCtx: null, keepAlive: null }), {
      numCtx: null,
      changed: false,
    });
    assert.deepEqual(body, { model: "m" });
  });
});

Deno.test("policyFor() takes the first matching model override over the fleet's", () => {
  const policy: FleetPolicy = {
    ...DEFAULT_POLICY,
    models: [
      { pattern: "qwen3:30b", numCtx: 32768 },
      { pattern: "qwen3:*", keepAlive: "-1" },
      { pattern: "nomic-embed-text", numCtx: null },
    ],
  };
  assert.deepEqual(policyFor(policy, modelKey("qwen3:30b")!), { numCtx: 32768, keepAlive: "30m" });
  assert.deepEqual(policyFor(policy, modelKey("qwen3:8b")!), { numCtx: 8192, keepAlive: "-1" });
  assert.deepEqual(policyFor(policy, modelKey("nomic-embed-text")!), {
    numCtx: null,
    keepAlive: "30m",
  });
  assert.deepEqual(policyFor(policy, modelKey("llama3.2")!), { numCtx: 8192, keepAlive: "30m" });
});

Deno.test("the policy's settings are checked with messages that say what is accepted", () => {
  assert.equal(numCtxSetting(16384), 16384);
  assert.equal(numCtxSetting("16384"), 16384);
  assert.equal(numCtxSetting("ollama"), null);
  assert.equal(numCtxSetting(0), null);
  assert.throws(() => numCtxSetting(100), Invalid);
  assert.throws(() => numCtxSetting("big"), /context length from 256/);
  assert.equal(keepAliveSetting("30m"), "30m");
  assert.equal(keepAliveSetting("-1"), -1);
  assert.equal(keepAliveSetting(600), 600);
  assert.equal(keepAliveSetting("ollama"), null);
  assert.equal(keepAliveSetting("30"), 30); // seconds, as OLLAMA_KEEP_ALIVE takes them
  assert.throws(() => keepAliveSetting("half an hour"), /a duration such as 30m/);
  assert.deepEqual(
    modelPolicies({ "qwen3:30b": { num_ctx: 32768 }, "qwen3:*": { keep_alive: "1h" } }),
    [
      { pattern: "qwen3:30b", numCtx: 32768 },
      { pattern: "qwen3:*", keepAlive: "1h" },
    ],
  );
  assert.throws(
    () => modelPolicies({ "qw*en": { num_ctx: 1 }, "qwen3:8b": { num_ctxx: 8192 } }),
    (error: Invalid) => {
      assert.deepEqual(error.parts.map((p) => p.at), [".qw*en", ".qwen3:8b.num_ctxx"]);
      return true;
    },
  );
});

Deno.test("withNumCtx() re-encodes the body with another context, leaving the parsed one alone", () => {
  const body = { model: "m", prompt: "hi", options: { num_ctx: 4096, seed: 3 } };
  const bytes = withNumCtx(body, 16384);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), {
    model: "m",
    prompt: "hi",
    options: { num_ctx: 16384, seed: 3 },
  });
  assert.equal(body.options.num_ctx, 4096);
});
