/**
 * The fleet key: the one secret that agents, hubs and client-mode laptops share. It signs discovery
 * packets (see `discovery.ts`) and authenticates hub-to-agent HTTP. The key itself never crosses the
 * wire: HTTP carries a token derived from it, so that a token seen on the LAN cannot forge packets.
 *
 * @module
 */

import { importFleetKey } from "./discovery.ts";
import { encodeBase64Url } from "./encoding.ts";

/** The shortest fleet key accepted; `openssl rand -base64 32` makes a good one. */
export const MIN_FLEET_KEY_LENGTH = 16;

/** How to make a fleet key, for error messages. */
export const FLEET_KEY_HINT =
  "make one with `openssl rand -base64 32` and give the same key to every agent and hub";

/**
 * Says what is wrong with a fleet key, or returns `null` when it is acceptable.
 *
 * @param key The key as configured.
 * @returns A problem, without the key in it.
 * @example
 * ```ts
 * fleetKeyProblem("short"); // "must be at least 16 characters"
 * ```
 */
export function fleetKeyProblem(key: string): string | null {
  if (key.trim() !== key) return "must not start or end with white space";
  if (key.length < MIN_FLEET_KEY_LENGTH) {
    return `must be at least ${MIN_FLEET_KEY_LENGTH} characters`;
  }
  return null;
}

/**
 * Derives the bearer token that hubs send to agents (`Authorization: Bearer <token>`).
 *
 * @param fleetKey The shared secret.
 * @returns An unpadded base64url HMAC-SHA256 of a fixed label under the key.
 * @example
 * ```ts
 * const token = await fleetToken("correct horse battery staple");
 * ```
 */
export async function fleetToken(fleetKey: string): Promise<string> {
  const key = await importFleetKey(fleetKey);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode("corral/http/1"));
  return encodeBase64Url(new Uint8Array(mac));
}

/**
 * Compares two strings in time that depends only on their lengths, for checking tokens.
 *
 * @param a One string.
 * @param b The other.
 * @returns Whether they are equal.
 * @example
 * ```ts
 * timingSafeEqual(received, expected);
 * ```
 */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
