import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { scryptSync } from "node:crypto";
import {
  hashPassword,
  needsRehash,
  parsePassword,
  verifyPassword,
  wastePasswordCheck,
} from "./password.ts";

Deno.test("hashPassword() writes scrypt$N$r$p$salt$hash that verifyPassword() accepts", async () => {
  const stored = await hashPassword("correct horse battery");
  assert.match(stored, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  assert.equal(await verifyPassword("correct horse battery", stored), true);
  assert.equal(await verifyPassword("correct horse battery!", stored), false);
  assert.equal(await verifyPassword("", stored), false);
  assert.notEqual(await hashPassword("correct horse battery"), stored, "a new salt each time");
  assert.equal(needsRehash(stored), false);
});

Deno.test("verifyPassword() reads the parameters back, so older hashes verify and need a rehash", async () => {
  const salt = Buffer.from("0123456789abcdef");
  const key = scryptSync("hunter22", salt, 32, { N: 1024, r: 8, p: 1 });
  const old = `scrypt$1024$8$1$${salt.toString("base64")}$${key.toString("base64")}`;
  assert.equal(await verifyPassword("hunter22", old), true);
  assert.equal(await verifyPassword("hunter23", old), false);
  assert.equal(needsRehash(old), true);
});

Deno.test("verifyPassword() refuses hashes it did not write or that would cost too much", async () => {
  for (
    const stored of [
      "",
      "plain",
      "bcrypt$10$abc",
      "scrypt$1000$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg==", // N not a power of 2
      "scrypt$4194304$8$1$MDEyMzQ1Njc4OWFiY2RlZg==$MDEyMzQ1Njc4OWFiY2RlZg==", // N = 2^22
      "scrypt$1024$8$1$$",
    ]
  ) {
    assert.equal(await verifyPassword("x", stored), false, stored);
  }
});

Deno.test("wastePasswordCheck() spends a check and resolves", async () => {
  await wastePasswordCheck("whatever");
});

Deno.test("parsePassword() wants 8 to 1024 characters", () => {
  assert.equal(parsePassword("12345678"), "12345678");
  assert.throws(() => parsePassword("1234567"), /at least 8 characters/);
  assert.throws(() => parsePassword("x".repeat(1025)), /at most 1024/);
  assert.throws(() => parsePassword(12345678), /must be a string/);
});
