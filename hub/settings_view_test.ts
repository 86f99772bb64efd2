import assert from "node:assert/strict";
import { loadHubConfig } from "./config.ts";
import { fleetKeyFingerprint, settingsView } from "./settings_view.ts";

Deno.test("the fingerprint is what the documented shell command prints, and differs per key", async () => {
  // printf 'corral fleet key fingerprint\n%s' abc | sha256sum | cut -c1-16
  assert.equal(await fleetKeyFingerprint("abc"), "6c0804eb77ab856d");
  assert.notEqual(await fleetKeyFingerprint("abd"), await fleetKeyFingerprint("abc"));
});

Deno.test("the settings view never carries the key itself", async () => {
  const config = loadHubConfig({ env: {}, yamlText: JSON.stringify({ insecure: true }) });
  const key = "a-fleet-key-that-must-stay-secret";
  const view = await settingsView({
    config,
    name: "hub-a",
    fleetKey: key,
    dataUrl: "http://127.0.0.1:11434",
    controlUrl: "http://127.0.0.1:11400",
    backend: "pglite",
  });
  assert.equal(JSON.stringify(view).includes(key), false);
  assert.equal(view.fleetKey.present, true);
  assert.equal(view.fleetKey.fingerprint?.length, 16);
  assert.equal(view.history.enabled, true);
  assert.equal(view.history.retentionMs, 7 * 86_400_000);
  // The default data plane listens on every interface, so it asks for keys.
  assert.equal(view.apiKeysRequired, true);
});
