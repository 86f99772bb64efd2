import assert from "node:assert/strict";
import { findInCatalogue } from "./catalogue.ts";
import { runnerSettings } from "./engine.ts";
import { resolveProfile } from "./profile.ts";

Deno.test("runnerSettings() cuts a num_ctx past the model's trained context to it", () => {
  const profile = resolveProfile({});
  const qwen = findInCatalogue("qwen3:8b")!; // trained for 40960
  assert.equal(runnerSettings(profile, qwen, { num_ctx: 131072 }).numCtx, 40960);
  assert.equal(runnerSettings(profile, qwen, { num_ctx: 40960 }).numCtx, 40960);
  assert.equal(runnerSettings(profile, qwen, { num_ctx: 8192 }).numCtx, 8192);
  const long = resolveProfile({ overrides: { context_length: 200_000 } });
  assert.equal(runnerSettings(long, qwen, {}).numCtx, 40960, "the default is cut too");
  assert.equal(
    runnerSettings(profile, qwen, { num_ctx: 131072 }).extra,
    runnerSettings(profile, qwen, { num_ctx: 40960 }).extra,
  );
});
