import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorNotice } from "./error_notice.tsx";

/** A dialog over the page; Escape or a click outside closes it. */
export function Modal(
  props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean },
) {
  const { onClose } = props;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div
      class="modal-back"
      onMouseDown={(event) => {
        if (event.target === event.currentTarget) onClose();
      }}
    >
      <div
        class={`modal${props.wide ? " wide" : ""}`}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
      >
        <div class="modal-head">
          <h2>{props.title}</h2>
          <button type="button" class="btn small ghost" aria-label="Close" onClick={onClose}>
            ✕
          </button>
        </div>
        {props.children}
      </div>
    </div>
  );
}

/**
 * Asks before doing something that cannot be undone: runs `onConfirm`, shows its error if it
 * fails, and closes when it succeeds.
 */
export function Confirm(props: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <div class="modal-body">{props.children}</div>
      <ErrorNotice error={error} />
      <div class="row end">
        <button type="button" class="btn" onClick={props.onClose} disabled={busy}>Cancel</button>
        <button
          type="button"
          class={`btn ${props.danger ? "danger solid" : "primary"}`}
          onClick={confirm}
          disabled={busy}
          autoFocus
        >
          {busy ? "Working…" : props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
