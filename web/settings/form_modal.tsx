/**
 * `<FormModal>`: a dialog holding a small form. Submitting runs `onSubmit`; its error (the hub's
 * words, or a local check's) is shown above the buttons, and the dialog stays open until it
 * succeeds.
 *
 * @module
 */

import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { ErrorNotice } from "../components/error_notice.tsx";
import { Modal } from "../components/modal.tsx";

/** What the dialog shows and does. */
export interface FormModalProps {
  title: string;
  submitLabel: string;
  /** Does the work; throw (an `ApiError`, or an `Error` with a sentence) to keep the dialog open. */
  onSubmit: () => Promise<void>;
  onClose: () => void;
  danger?: boolean;
  children: ComponentChildren;
}

/** A form in a dialog. */
export function FormModal(props: FormModalProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <form onSubmit={submit} class="settings-form">
        {props.children}
        <ErrorNotice error={error} />
        <div class="row end">
          <button type="button" class="btn" onClick={props.onClose} disabled={busy}>
            Cancel
          </button>
          <button
            type="submit"
            class={`btn ${props.danger ? "danger solid" : "primary"}`}
            disabled={busy}
          >
            {busy ? "Working…" : props.submitLabel}
          </button>
        </div>
      </form>
    </Modal>
  );
}
