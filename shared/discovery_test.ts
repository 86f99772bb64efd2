import assert from "node:assert/strict";
import {
  type Announce,
  decodePacket,
  encodePacket,
  importFleetKey,
  MAGIC,
  PacketError,
  type Payload,
  ReplayGuard,
  stamp,
} from "./discovery.ts";
import { fleetKeyProblem, fleetToken, timingSafeEqual } from "./fleet_key.ts";

const KEY = "a fleet key for the tests only";

function announce(now = Date.now()): Announce {
  return stamp({
    kind: "announce",
    id: "gpu-1",
    name: "gpu-1",
    port: 11435,
    version: "0.1.0",
    bootId: "790a4efc-34f5-4461-acd6-d4bdca6157bc",
  }, now);
}

async function refusal(bytes: Uint8Array<ArrayBuffer>, key: CryptoKey | null): Promise<string> {
  try {
    await decodePacket(bytes, key);
  } catch (error) {
    assert.ok(error instanceof PacketError);
    return error.reason;
  }
  throw new Error("the packet was accepted");
}

Deno.test("encodePacket() and decodePacket() round-trip a signed announcement", async () => {
  const key = await importFleetKey(KEY);
  const payload = announce();
  const bytes = await encodePacket(payload, key);
  assert.equal(new DataView(bytes.buffer).getUint32(0), MAGIC);
  assert.equal(bytes[5], 1, "signed flag");
  assert.deepEqual(await decodePacket(bytes, key), payload);
});

Deno.test("decodePacket() refuses packets signed with another key", async () => {
  const bytes = await encodePacket(announce(), await importFleetKey("another key, same length!"));
  assert.equal(await refusal(bytes, await importFleetKey(KEY)), "bad_signature");
});

Deno.test("decodePacket() refuses any flipped bit of a signed packet", async () => {
  const key = await importFleetKey(KEY);
  const bytes = await encodePacket(announce(), key);
  for (const at of [9, 20, bytes.length - 40, bytes.length - 1]) {
    const forged = bytes.slice();
    forged[at]! ^= 1;
    assert.equal(await refusal(forged, key), "bad_signature", `bit flipped at ${at}`);
  }
});

Deno.test("decodePacket() refuses unsigned packets when it holds a key", async () => {
  const bytes = await encodePacket(announce(), null);
  assert.equal(await refusal(bytes, await importFleetKey(KEY)), "unsigned");
  // Insecure receivers (no key) accept them.
  assert.equal((await decodePacket(bytes, null)).kind, "announce");
});

Deno.test("decodePacket() refuses garbage, truncation and wrong versions as such", async () => {
  const key = await importFleetKey(KEY);
  const good = await encodePacket(announce(), key);
  assert.equal(await refusal(new Uint8Array(3), key), "malformed");
  assert.equal(await refusal(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"), key), "malformed");
  assert.equal(await refusal(good.subarray(0, good.length - 1), key), "malformed");
  const format = good.slice();
  format[4] = 9;
  assert.equal(await refusal(format, key), "unsupported_version");
  const future = { ...announce(), v: 2 } as unknown as Payload;
  assert.equal(await refusal(await encodePacket(future, key), key), "unsupported_version");
});

Deno.test("decodePacket() refuses signed payloads with missing or mistyped fields", async () => {
  const key = await importFleetKey(KEY);
  const cases: Record<string, unknown>[] = [
    { ...announce(), port: 0 },
    { ...announce(), port: "11435" },
    { ...announce(), id: "" },
    { ...announce(), kind: "gossip" },
    { ...announce(), ts: "now" },
    { ...stamp({ kind: "probe", id: "hub", want: "agents" }), want: "everyone" },
  ];
  for (const payload of cases) {
    const bytes = await encodePacket(payload as unknown as Payload, key);
    assert.equal(await refusal(bytes, key), "malformed", JSON.stringify(payload));
  }
});

Deno.test("encodePacket() refuses payloads larger than a datagram should be", async () => {
  const big = { ...announce(), name: "x".repeat(2000) };
  await assert.rejects(() => encodePacket(big, null), RangeError);
});

Deno.test("ReplayGuard drops stale packets either side of the window", () => {
  const guard = new ReplayGuard({ windowMs: 30_000 });
  const now = 1_800_000_000_000;
  assert.equal(guard.check(announce(now - 31_000), now), "stale");
  assert.equal(guard.check(announce(now + 31_000), now), "stale");
  assert.equal(guard.check(announce(now - 29_000), now), null);
});

Deno.test("ReplayGuard drops a packet seen before, and accepts a new nonce", () => {
  const guard = new ReplayGuard();
  const now = 1_800_000_000_000;
  const first = announce(now);
  assert.equal(guard.check(first, now), null);
  assert.equal(guard.check(first, now + 1000), "replayed");
  assert.equal(guard.check(announce(now + 1000), now + 1000), null);
  // Another sender may use the same nonce.
  assert.equal(guard.check({ ...first, id: "gpu-2" }, now + 1000), null);
});

Deno.test("ReplayGuard forgets nonces once they are stale, and stays bounded", () => {
  const guard = new ReplayGuard({ windowMs: 1000, capacity: 100 });
  const now = 1_800_000_000_000;
  const old = announce(now);
  assert.equal(guard.check(old, now), null);
  for (let i = 1; i <= 500; i++) assert.equal(guard.check(announce(now + i), now + i), null);
  // Forgotten by capacity but still refused, now as stale.
  assert.equal(guard.check(old, now + 1500), "stale");
});

Deno.test("fleetToken() is stable for a key and differs between keys", async () => {
  const a = await fleetToken(KEY);
  assert.equal(a, await fleetToken(KEY));
  assert.notEqual(a, await fleetToken(`${KEY}!`));
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!a.includes(KEY));
});

Deno.test("fleetKeyProblem() refuses short or padded keys without echoing them", () => {
  assert.equal(fleetKeyProblem("0123456789abcdef"), null);
  assert.match(fleetKeyProblem("short")!, /at least 16/);
  assert.match(fleetKeyProblem(" 0123456789abcdef")!, /white space/);
  assert.ok(!fleetKeyProblem("short")!.includes("short"));
});

Deno.test("timingSafeEqual() compares whole strings", () => {
  assert.ok(timingSafeEqual("abc", "abc"));
  assert.ok(!timingSafeEqual("abc", "abd"));
  assert.ok(!timingSafeEqual("abc", "abcd"));
  assert.ok(!timingSafeEqual("", "a"));
});
