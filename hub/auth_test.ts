import assert from "node:assert/strict";
import { modelKey } from "../shared/model_name.ts";
import { hashApiKey, keyAllows, Keyring, newApiKey, presentedKey } from "./auth.ts";

Deno.test("newApiKey() makes distinct keys that hashApiKey() turns into sha256 hex", async () => {
  const [a, b] = [newApiKey(), newApiKey()];
  assert.notEqual(a, b);
  assert.match(a, /^corral_[A-Za-z0-9_-]{43}$/);
  assert.match(await hashApiKey(a), /^sha256:[0-9a-f]{64}$/);
  assert.equal(
    await hashApiKey("abc"),
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("presentedKey() reads a bearer token, and x-api-key only on /v1/messages", () => {
  const bearer = new Headers({ authorization: "Bearer k1" });
  assert.equal(presentedKey(bearer, "/api/chat"), "k1");
  const anthropic = new Headers({ "x-api-key": "k2" });
  assert.equal(presentedKey(anthropic, "/v1/messages"), "k2");
  assert.equal(presentedKey(anthropic, "/v1/chat/completions"), null);
  assert.equal(presentedKey(new Headers({ authorization: "Basic eDp5" }), "/api/chat"), null);
});

Deno.test("Keyring.check() accepts a configured key and refuses others without echoing them", async () => {
  const key = newApiKey();
  const ring = new Keyring([{ name: "alice", hash: await hashApiKey(key) }]);
  const ok = await ring.check(new Headers({ authorization: `Bearer ${key}` }), "/api/chat");
  assert.deepEqual(ok.ok && ok.key?.name, "alice");
  const missing = await ring.check(new Headers(), "/api/chat");
  assert.equal(missing.ok, false);
  const wrong = await ring.check(new Headers({ authorization: "Bearer nope-secret" }), "/");
  assert.ok(!wrong.ok && !wrong.message.includes("nope-secret"));
});

Deno.test("keyAllows() applies the model allow-list: names, name:* and *", () => {
  const k = (models: string[] | null) => ({ name: "k", hash: "sha256:00", models });
  const qwen8 = modelKey("qwen3:8b")!;
  const qwen32 = modelKey("qwen3:32b")!;
  const llama = modelKey("llama3.2")!;
  assert.ok(keyAllows(null, llama), "no key: open API");
  assert.ok(keyAllows(k(null), llama), "no list: every model");
  assert.ok(keyAllows(k(["qwen3:8b"]), qwen8));
  assert.ok(!keyAllows(k(["qwen3:8b"]), qwen32));
  assert.ok(keyAllows(k(["qwen3:*"]), qwen32));
  assert.ok(!keyAllows(k(["qwen3:*"]), llama));
  assert.ok(keyAllows(k(["llama3.2"]), modelKey("LLAMA3.2:latest")!));
  assert.ok(keyAllows(k(["*"]), llama));
});

Deno.test("Keyring.replace() swaps every key at once and onUse() hears each key let in", async () => {
  const [old, fresh] = [newApiKey(), newApiKey()];
  const ring = new Keyring([{ name: "old", hash: await hashApiKey(old) }]);
  const used: string[] = [];
  ring.onUse((key) => used.push(key.name));
  const bearer = (key: string) => new Headers({ authorization: `Bearer ${key}` });
  assert.ok((await ring.check(bearer(old), "/api/chat")).ok);
  ring.replace([{ name: "fresh", hash: await hashApiKey(fresh), id: 7 }]);
  assert.equal(ring.size, 1);
  assert.equal((await ring.check(bearer(old), "/api/chat")).ok, false);
  const ok = await ring.check(bearer(fresh), "/api/chat");
  assert.equal(ok.ok && ok.key?.id, 7);
  assert.deepEqual(used, ["old", "fresh"], "refused requests are not uses");
});
