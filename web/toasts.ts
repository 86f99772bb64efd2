/**
 * Short messages in the corner: what an action did, or why it failed. A signal, shown by
 * `components/toasts.tsx`.
 *
 * @module
 */

import { signal } from "@preact/signals";

/** One message. */
export interface Toast {
  id: number;
  text: string;
  level: "ok" | "bad" | "info";
}

/** The messages on screen, oldest first. */
export const toasts = signal<readonly Toast[]>([]);
let nextId = 1;

/** Shows `text` for a few seconds (errors stay longer); at most five at once. */
export function toast(text: string, level: Toast["level"] = "info"): void {
  const id = nextId++;
  toasts.value = [...toasts.value.slice(-4), { id, text, level }];
  setTimeout(() => dismissToast(id), level === "bad" ? 10_000 : 4000);
}

/** Removes a message before its time. */
export function dismissToast(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}
