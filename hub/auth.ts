/**
 * Client API keys on the data plane. Keys are random (`corral_` and 43 base64url characters), so
 * a SHA-256 of the key is a safe thing to store: the hub keeps only hashes, looks a presented key
 * up by its hash, and never logs or echoes a key. A key may carry an allow-list of model patterns
 * (`qwen3:8b`, `qwen3:*`, `*`).
 *
 * Clients send `Authorization: Bearer <key>` (ollama-js `headers`, openai-node `apiKey`); Anthropic
 * clients send `x-api-key` on `/v1/messages`, which is accepted there.
 *
 * @module
 */

import { encodeBase64Url, sha256Hex } from "../shared/encoding.ts";
import { modelKey, parseModelName } from "../shared/model_name.ts";

/** One client key, as configured: a name, the key's hash, and which models it may use. */
export interface ApiKeyEntry {
  name: string;
  /** `sha256:<64 hex>`. */
  hash: string;
  /** Model name patterns; absent means every model. */
  models?: readonly string[] | null;
  /** The `api_keys` row of a key made on the dashboard; absent for the configuration's keys. */
  id?: number;
}

/** The outcome of checking a request's credentials. */
export type AuthResult =
  | { ok: true; key: ApiKeyEntry | null }
  | { ok: false; status: 401; message: string };

/** A new random client key. */
export function newApiKey(): string {
  return `corral_${encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** The hash stored for `key`: `sha256:<hex>`. */
export async function hashApiKey(key: string): Promise<string> {
  return `sha256:${await sha256Hex(key)}`;
}

/** The presented key: the bearer token, or `x-api-key` on the Anthropic endpoint. */
export function presentedKey(headers: Headers, pathname: string): string | null {
  const authorization = headers.get("authorization");
  const bearer = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return bearer;
  if (pathname === "/v1/messages") return headers.get("x-api-key");
  return null;
}

function byHash(entries: readonly ApiKeyEntry[]): Map<string, ApiKeyEntry> {
  return new Map(entries.map((e) => [e.hash.toLowerCase(), e]));
}

/**
 * The hub's keys, by hash, in memory: the configuration's, and the dashboard's once
 * `accounts/key_store.ts` has loaded them. Checking a request touches no database.
 */
export class Keyring {
  #byHash: Map<string, ApiKeyEntry>;
  #onUse: ((key: ApiKeyEntry) => void) | null = null;

  /** @param entries The configured keys. */
  constructor(entries: readonly ApiKeyEntry[]) {
    this.#byHash = byHash(entries);
  }

  /** Replaces every key at once: a key left out stops working with the next request. */
  replace(entries: readonly ApiKeyEntry[]): void {
    this.#byHash = byHash(entries);
  }

  /** Calls `listener` (which must not throw or block) with each key a request was let in with. */
  onUse(listener: ((key: ApiKeyEntry) => void) | null): void {
    this.#onUse = listener;
  }

  /** How many keys there are. */
  get size(): number {
    return this.#byHash.size;
  }

  /** Checks a request's key; never says anything about the key itself. */
  async check(headers: Headers, pathname: string): Promise<AuthResult> {
    const key = presentedKey(headers, pathname);
    if (!key) {
      return {
        ok: false,
        status: 401,
        message: "this Corral hub needs an API key: send Authorization: Bearer <key>",
      };
    }
    const entry = this.#byHash.get(await hashApiKey(key));
    if (!entry) return { ok: false, status: 401, message: "invalid API key" };
    this.#onUse?.(entry);
    return { ok: true, key: entry };
  }
}

/** Whether `pattern` is one {@link keyAllows} understands: a model name, `NAME:*` or `*`. */
export function isModelPattern(pattern: string): boolean {
  if (pattern === "*") return true;
  const name = pattern.endsWith(":*") ? pattern.slice(0, -2) : pattern;
  return !name.includes("*") && parseModelName(name) !== undefined;
}

/** Whether `pattern` (a name, `name:*` or `*`) covers the model with key `model`. */
export function patternMatches(pattern: string, model: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith(":*")) {
    const base = modelKey(pattern.slice(0, -2));
    return base !== undefined && model.startsWith(base.slice(0, base.lastIndexOf(":") + 1));
  }
  return modelKey(pattern) === model;
}

/** Whether `key` may use the model with key `model`; no key (open API) or no list allows all. */
export function keyAllows(key: ApiKeyEntry | null, model: string): boolean {
  if (!key?.models) return true;
  return key.models.some((pattern) => patternMatches(pattern, model));
}
