/**
 * Checks a new password before it is sent: long enough, and typed the same twice. Pure; the hub
 * checks the length again.
 *
 * @module
 */

import type { MIN_PASSWORD as HubMinimum } from "../shared/dashboard.ts";

/**
 * The shortest password the hub accepts: a copy of `shared/dashboard.ts`'s, whose values `web/`
 * may not import; its type stops the build if the two differ.
 */
export const MIN_PASSWORD: typeof HubMinimum = 8;

/** What is wrong with a new password and its confirmation, or `null` when nothing is. */
export function passwordProblem(password: string, confirm: string): string | null {
  if (password.length < MIN_PASSWORD) {
    return `The password needs at least ${MIN_PASSWORD} characters`;
  }
  if (password !== confirm) return "The two passwords differ";
  return null;
}
