import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";

/** One entry of a {@link Menu}. */
export interface MenuItem {
  label: string;
  /** Marks the entry for tests and styles (`data-action`). */
  action: string;
  onSelect: () => void;
  danger?: boolean;
}

/** A "⋯" button that opens a short list of actions; a click outside or Escape closes it. */
export function Menu(props: { label: string; items: MenuItem[] }) {
  const open = useSignal(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open.value) return;
    const onDown = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) open.value = false;
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") open.value = false;
    };
    addEventListener("mousedown", onDown);
    addEventListener("keydown", onKey);
    return () => {
      removeEventListener("mousedown", onDown);
      removeEventListener("keydown", onKey);
    };
  }, [open.value]);
  return (
    <div class="menu" ref={root}>
      <button
        type="button"
        class="btn small ghost menu-button"
        aria-label={props.label}
        title={props.label}
        aria-haspopup="menu"
        aria-expanded={open.value}
        onClick={() => open.value = !open.value}
      >
        ⋯
      </button>
      {open.value && (
        <div class="menu-pop" role="menu">
          {props.items.map((item) => (
            <button
              key={item.action}
              type="button"
              role="menuitem"
              class={`menu-item${item.danger ? " danger" : ""}`}
              data-action={item.action}
              onClick={() => {
                open.value = false;
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
