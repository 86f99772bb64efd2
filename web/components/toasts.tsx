import { dismissToast, toasts } from "../toasts.ts";

/** Where the toasts appear (once, in the app's shell); a click dismisses one. */
export function Toasts() {
  return (
    <div class="toasts" aria-live="polite">
      {toasts.value.map((t) => (
        <div
          key={t.id}
          class={`toast ${t.level}`}
          onClick={() => dismissToast(t.id)}
        >
          {t.text}
        </div>
      ))}
    </div>
  );
}
