/**
 * The one-time setup token: while the hub has no users it prints a link carrying a random token,
 * and the first `POST /api/auth/setup` that presents it creates the first admin. The token lives
 * only in this hub's memory, is compared in constant time, and is gone once used (or once users
 * are found to exist).
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import { randomToken } from "./sessions.ts";

/** The setup token of one hub. */
export class SetupToken {
  #token: string | null = null;
  #listeners = new Set<(token: string) => void>();

  /** The token, or `null` when there is none (users exist, or not known yet). */
  get value(): string | null {
    return this.#token;
  }

  /** Makes a token (when there is none yet) and tells the listeners. */
  issue(): string {
    if (this.#token) return this.#token;
    const token = randomToken();
    this.#token = token;
    for (const listener of this.#listeners) listener(token);
    return token;
  }

  /** Calls `listener` with the token now if there is one, and whenever one is issued. */
  onIssue(listener: (token: string) => void): void {
    this.#listeners.add(listener);
    if (this.#token) listener(this.#token);
  }

  /** Whether `candidate` is the token; always false once it is used. Constant time. */
  matches(candidate: unknown): boolean {
    if (this.#token === null || typeof candidate !== "string") return false;
    const a = new TextEncoder().encode(this.#token);
    const b = new TextEncoder().encode(candidate);
    // Equal lengths for timingSafeEqual; the length of a random token is no secret.
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /** Forgets the token: it has been used, or users exist. */
  consume(): void {
    this.#token = null;
  }
}
