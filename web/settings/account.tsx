/**
 * The Settings page's "your account" panel: who you are signed in as, and changing your own
 * password (`POST /api/auth/password` with the current one).
 *
 * @module
 */

import { useState } from "preact/hooks";
import { api } from "../api.ts";
import { me } from "../session.ts";
import { toast } from "../toasts.ts";
import { FormModal } from "./form_modal.tsx";
import { MIN_PASSWORD, passwordProblem } from "../passwords.ts";

/** A password field with its label. */
export function PasswordField(props: {
  id: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  autoComplete: "current-password" | "new-password";
  autoFocus?: boolean;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="password"
        required
        autoComplete={props.autoComplete}
        autoFocus={props.autoFocus}
        minLength={props.autoComplete === "new-password" ? MIN_PASSWORD : undefined}
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
    </div>
  );
}

function ChangePassword(props: { onClose: () => void }) {
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  return (
    <FormModal
      title="Change your password"
      submitLabel="Change password"
      onClose={props.onClose}
      onSubmit={async () => {
        const problem = passwordProblem(password, confirm);
        if (problem) throw new Error(problem);
        await api("/api/auth/password", { body: { current, password } });
        toast("Your password was changed; your other sessions were signed out", "ok");
        props.onClose();
      }}
    >
      <PasswordField
        id="pw-current"
        label="Current password"
        value={current}
        onInput={setCurrent}
        autoComplete="current-password"
        autoFocus
      />
      <PasswordField
        id="pw-new"
        label={`New password (at least ${MIN_PASSWORD} characters)`}
        value={password}
        onInput={setPassword}
        autoComplete="new-password"
      />
      <PasswordField
        id="pw-confirm"
        label="New password again"
        value={confirm}
        onInput={setConfirm}
        autoComplete="new-password"
      />
    </FormModal>
  );
}

/** The signed-in user and their password; nothing on a hub without accounts. */
export function AccountPanel() {
  const [changing, setChanging] = useState(false);
  const user = me.value?.user;
  if (!user) return null;
  return (
    <section class="panel">
      <h2>Your account</h2>
      <div class="account">
        <div>
          <div class="account-name">{user.username}</div>
          <span class={`badge ${user.role === "admin" ? "info" : ""}`}>{user.role}</span>
        </div>
        <button type="button" class="btn" onClick={() => setChanging(true)}>
          Change password
        </button>
      </div>
      <p class="muted small">
        {user.role === "admin"
          ? "Admins manage users, API keys and the fleet."
          : "Viewers see the whole dashboard but change nothing and see no secrets."}
      </p>
      {changing && <ChangePassword onClose={() => setChanging(false)} />}
    </section>
  );
}
