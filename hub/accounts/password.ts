/**
 * Password hashing with scrypt (RFC 7914) through `node:crypto`, which runs it off the event loop.
 * A stored hash carries its own parameters, `scrypt$N$r$p$<salt>$<hash>` (base64), so that the
 * cost can be raised later: old hashes still verify, and {@link needsRehash} says when to replace
 * one after a successful login.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { MIN_PASSWORD } from "../../shared/dashboard.ts";
import { FleetError } from "../../shared/errors.ts";

/** The cost of new hashes: about 32 MiB and 0.1 s each. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;

/** The longest password accepted (scrypt takes any length; this bounds the work per request). */
export const MAX_PASSWORD = 1024;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

interface Params {
  N: number;
  r: number;
  p: number;
}

function derive(password: string, salt: Uint8Array, params: Params, length: number) {
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly that at N=2^15, r=8.
  const maxmem = 256 * params.N * params.r + 1024 * 1024;
  return new Promise<Uint8Array>((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, length, { ...params, maxmem }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    })
  );
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * Checks a new password's length.
 *
 * @throws {FleetError} BAD_REQUEST when it is not a string of {@link MIN_PASSWORD} to
 *   {@link MAX_PASSWORD} characters.
 */
export function parsePassword(value: unknown, field = "password"): string {
  if (typeof value !== "string") {
    throw new FleetError("BAD_REQUEST", `${field} must be a string`, 400);
  }
  if (value.length < MIN_PASSWORD) {
    throw new FleetError(
      "BAD_REQUEST",
      `${field} must have at least ${MIN_PASSWORD} characters`,
      400,
    );
  }
  if (value.length > MAX_PASSWORD) {
    throw new FleetError(
      "BAD_REQUEST",
      `${field} must have at most ${MAX_PASSWORD} characters`,
      400,
    );
  }
  return value;
}

/** Hashes a password with a new random salt: `scrypt$32768$8$1$<salt>$<hash>`. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = SCRYPT_PARAMS;
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, SCRYPT_PARAMS, KEY_BYTES);
  return `scrypt$${N}$${r}$${p}$${b64(salt)}$${b64(key)}`;
}

/** A stored hash's parts, or `null` when it is not one this module wrote (or absurdly costly). */
function parseStored(stored: string) {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const powerOfTwo = Number.isInteger(N) && N >= 2 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > 2 ** 20 || !(r >= 1 && r <= 32) || !(p >= 1 && p <= 16)) return null;
  if (!Number.isInteger(r) || !Number.isInteger(p)) return null;
  const salt = Buffer.from(parts[4]!, "base64");
  const hash = Buffer.from(parts[5]!, "base64");
  if (salt.length < 8 || hash.length < 16) return null;
  return { params: { N, r, p }, salt, hash };
}

/** Whether `password` is the one `stored` was made from; constant time in the comparison. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash);
}

/** Whether `stored` was made with other parameters than new hashes get. */
export function needsRehash(stored: string): boolean {
  const params = parseStored(stored)?.params;
  return !params || params.N !== SCRYPT_PARAMS.N || params.r !== SCRYPT_PARAMS.r ||
    params.p !== SCRYPT_PARAMS.p;
}

let dummy: Promise<string> | null = null;

/**
 * Spends what a real check costs, for a user that does not exist (or a login refused before its
 * password is checked), so that the time taken does not tell which usernames exist.
 */
export async function wastePasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword(b64(randomBytes(12)));
  await verifyPassword(password, await dummy);
}
