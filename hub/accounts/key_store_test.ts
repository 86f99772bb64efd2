import assert from "node:assert/strict";
import { hashApiKey, Keyring } from "../auth.ts";
import { testBothBackends } from "../history/testing.ts";
import { quiet } from "../log.ts";
import {
  configKeyView,
  createApiKey,
  listApiKeys,
  parseNewApiKey,
  revokeApiKey,
} from "./api_keys.ts";
import { KeyStore } from "./key_store.ts";
import { createUser } from "./users.ts";

const bearer = (key: string) => new Headers({ authorization: `Bearer ${key}` });

Deno.test("parseNewApiKey() checks the name and the model patterns", () => {
  assert.deepEqual(parseNewApiKey({ name: " ci ", models: ["qwen3:*", "llama3.2"] }, []), {
    name: "ci",
    models: ["qwen3:*", "llama3.2"],
  });
  assert.deepEqual(parseNewApiKey({ name: "all", models: null }, []), {
    name: "all",
    models: null,
  });
  assert.deepEqual(parseNewApiKey({ name: "all", models: ["*"] }, []), {
    name: "all",
    models: null,
  });
  assert.throws(() => parseNewApiKey({ name: "", models: null }, []), /1 to 64 printable/);
  assert.throws(() => parseNewApiKey({ name: "a\nb", models: null }, []), /printable/);
  assert.throws(() => parseNewApiKey({ name: "x", models: [] }, []), /non-empty list/);
  assert.throws(() => parseNewApiKey({ name: "x", models: ["qw*en"] }, []), /NAME:\* or \*/);
  assert.throws(() => parseNewApiKey({ name: "alice", models: null }, ["alice"]), /configuration/);
});

Deno.test("configKeyView() lists a configuration key with no id and every model as null", () => {
  const view = configKeyView({ name: "ops", hash: "sha256:00", models: ["*"] });
  assert.deepEqual(view, {
    id: null,
    name: "ops",
    models: null,
    source: "config",
    createdBy: null,
    createdAt: null,
    lastUsed: null,
    revokedAt: null,
  });
});

await testBothBackends(
  "KeyStore: keys made on one hub reach another's keyring; revoked ones leave",
  async (db) => {
    const T = Date.parse("2025-06-01T12:00:00Z");
    const admin = await createUser(db, { username: "root", password: "password-1", role: "admin" });
    const configKey = { name: "ops", hash: await hashApiKey("ops-key"), models: ["*"] };
    const [ringA, ringB] = [new Keyring([configKey]), new Keyring([configKey])];
    const storeA = new KeyStore({
      db,
      keyring: ringA,
      configKeys: [configKey],
      log: quiet,
      now: () => T,
    });
    const storeB = new KeyStore({
      db,
      keyring: ringB,
      configKeys: [configKey],
      log: quiet,
      now: () => T,
    });

    const { key, secret } = await createApiKey(db, { name: "ci", models: ["qwen3:*"] }, admin);
    assert.match(secret, /^corral_/);
    assert.deepEqual(
      [key.name, key.models, key.source, key.createdBy, key.revokedAt],
      ["ci", ["qwen3:*"], "dashboard", "root", null],
    );
    await assert.rejects(
      createApiKey(db, { name: "ci", models: null }, admin),
      /Key name "ci" is taken/,
    );
    assert.equal((await ringB.check(bearer(secret), "/api/chat")).ok, false, "not loaded yet");
    await storeB.refresh();
    const ok = await ringB.check(bearer(secret), "/api/chat");
    assert.ok(ok.ok);
    assert.deepEqual([ok.key?.name, ok.key?.models, ok.key?.id], ["ci", ["qwen3:*"], key.id]);
    assert.ok((await ringB.check(bearer("ops-key"), "/api/chat")).ok, "the config's keys stay");

    // Uses are noted in memory and written in one go.
    await storeB.flushUsage();
    assert.equal((await listApiKeys(db))[0]!.lastUsed, T);

    await storeA.refresh();
    await revokeApiKey(db, key.id!, T + 1000);
    storeA.forget(key.id!);
    assert.equal((await ringA.check(bearer(secret), "/api/chat")).ok, false, "at once on this hub");
    await storeB.refresh();
    assert.equal(
      (await ringB.check(bearer(secret), "/api/chat")).ok,
      false,
      "on the next reload there",
    );
    const [listed] = await listApiKeys(db);
    assert.equal(listed!.revokedAt, T + 1000, "revoked keys stay listed");
    assert.equal((await revokeApiKey(db, key.id!, T + 5000)).revokedAt, T + 1000, "once");
    await assert.rejects(revokeApiKey(db, 424242, T), /No API key with id 424242/);
    storeA.detach();
    storeB.detach();
  },
);
