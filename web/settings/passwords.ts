/**
 * Checks a new password before it is sent: long enough, and typed the same twice. Pure; the hub
 * checks the length again.
 *
 * @module
 */

/** The shortest password the hub accepts (`MIN_PASSWORD` of `shared/dashboard.ts`, whose values `web/` may not import). */
export const MIN_PASSWORD = 8;

/** What is wrong with a new password and its confirmation, or `null` when nothing is. */
export function passwordProblem(password: string, confirm: string): string | null {
  if (password.length < MIN_PASSWORD) {
    return `The password needs at least ${MIN_PASSWORD} characters`;
  }
  if (password !== confirm) return "The two passwords differ";
  return null;
}
