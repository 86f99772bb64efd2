/**
 * Who is using the dashboard: the hub's {@link AuthState} and the logged-in user, as signals. The
 * app asks once at start (`loadSession`); login, setup and logout update them; a 401 from any call
 * clears the user so the app shows the login page.
 *
 * @module
 */

import { computed, signal } from "@preact/signals";
import type { AuthState, Me } from "../shared/dashboard.ts";
import { api, onUnauthorized, setCsrf } from "./api.ts";

/** The hub's answer to `/api/auth/state`; `null` until it comes. */
export const authState = signal<AuthState | null>(null);
/** The logged-in user; `null` when logged out (or not yet known). */
export const me = signal<Me | null>(null);
/** Whether the session is known (the first `/api/auth/me` has answered). */
export const sessionKnown = signal(false);

/** Whether the user may change things: admins, and everyone on a hub without accounts. */
export const isAdmin = computed(() =>
  authState.value?.accounts === false || me.value?.user.role === "admin"
);

/** Sets the logged-in user (or none) and the CSRF token that goes with them. */
export function setMe(value: Me | null): void {
  me.value = value;
  setCsrf(value?.csrf ?? null);
}

onUnauthorized(() => setMe(null));

/** Asks the hub who we are; called once at start. */
export async function loadSession(): Promise<void> {
  try {
    authState.value = await api<AuthState>("/api/auth/state");
    if (authState.value.accounts) {
      setMe(await api<Me>("/api/auth/me").catch(() => null));
    }
  } finally {
    sessionKnown.value = true;
  }
}

/** Logs out here and at the hub. */
export async function logout(): Promise<void> {
  await api("/api/auth/logout", { method: "POST" }).catch(() => {});
  setMe(null);
}
