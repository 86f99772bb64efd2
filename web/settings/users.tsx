/**
 * The Settings page's users (admins only; the hub refuses viewers too): the list, adding a user
 * with a role, changing a role, resetting a password, disabling and deleting. The last enabled
 * admin cannot be demoted, disabled or deleted: the hub answers 409 and its words are shown.
 *
 * @module
 */

import { useState } from "preact/hooks";
import type { NewUser, Role, UserChange, UserView } from "../../shared/dashboard.ts";
import { api } from "../api.ts";
import { ErrorNotice } from "../components/error_notice.tsx";
import { Confirm } from "../components/modal.tsx";
import { ago, dateTime } from "../format.ts";
import { useApi } from "../history/use_api.ts";
import { me } from "../session.ts";
import { toast } from "../toasts.ts";
import { PasswordField } from "./account.tsx";
import { FormModal } from "./form_modal.tsx";
import { MIN_PASSWORD, passwordProblem } from "../passwords.ts";

function RoleSelect(props: {
  id?: string;
  value: Role;
  onChange: (role: Role) => void;
  disabled?: boolean;
  label?: string;
}) {
  return (
    <select
      id={props.id}
      aria-label={props.label}
      value={props.value}
      disabled={props.disabled}
      onChange={(e) => props.onChange(e.currentTarget.value as Role)}
    >
      <option value="viewer">viewer</option>
      <option value="admin">admin</option>
    </select>
  );
}

function AddUser(props: { onClose: () => void; onDone: () => void }) {
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  return (
    <FormModal
      title="Add a user"
      submitLabel="Add user"
      onClose={props.onClose}
      onSubmit={async () => {
        const problem = passwordProblem(password, confirm);
        if (problem) throw new Error(problem);
        const body: NewUser = { username: username.trim().toLowerCase(), password, role };
        const user = await api<UserView>("/api/users", { body });
        toast(`Added ${user.role} "${user.username}"`, "ok");
        props.onDone();
        props.onClose();
      }}
    >
      <div class="field">
        <label for="new-user">Username (a-z, 0-9, ".", "_" and "-")</label>
        <input
          id="new-user"
          required
          autoFocus
          autoComplete="off"
          pattern="[A-Za-z0-9._\-]{1,64}"
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="new-role">Role</label>
        <RoleSelect id="new-role" value={role} onChange={setRole} />
        <p class="faint small">
          Viewers see everything but secrets and change nothing; admins manage the fleet, users and
          API keys.
        </p>
      </div>
      <PasswordField
        id="new-password"
        label={`Password (at least ${MIN_PASSWORD} characters)`}
        value={password}
        onInput={setPassword}
        autoComplete="new-password"
      />
      <PasswordField
        id="new-confirm"
        label="Password again"
        value={confirm}
        onInput={setConfirm}
        autoComplete="new-password"
      />
    </FormModal>
  );
}

function ResetPassword(props: { user: UserView; onClose: () => void }) {
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  return (
    <FormModal
      title={`Reset the password of "${props.user.username}"`}
      submitLabel="Set password"
      onClose={props.onClose}
      onSubmit={async () => {
        const problem = passwordProblem(password, confirm);
        if (problem) throw new Error(problem);
        await api(`/api/users/${props.user.id}`, {
          method: "PATCH",
          body: { password } satisfies UserChange,
        });
        toast(`New password set for "${props.user.username}"; their sessions were ended`, "ok");
        props.onClose();
      }}
    >
      <p class="muted">
        Their sessions end at once; tell them the new password another way.
      </p>
      <PasswordField
        id="reset-password"
        label={`New password (at least ${MIN_PASSWORD} characters)`}
        value={password}
        onInput={setPassword}
        autoComplete="new-password"
        autoFocus
      />
      <PasswordField
        id="reset-confirm"
        label="New password again"
        value={confirm}
        onInput={setConfirm}
        autoComplete="new-password"
      />
    </FormModal>
  );
}

type Dialog =
  | { kind: "add" }
  | { kind: "reset"; user: UserView }
  | { kind: "delete"; user: UserView }
  | { kind: "disable"; user: UserView };

/** The users panel, for admins. */
export function UsersPanel() {
  const [reload, setReload] = useState(0);
  const { data, error, loading } = useApi<{ users: UserView[] }>("/api/users", reload);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const refresh = () => setReload((n) => n + 1);
  const close = () => setDialog(null);
  const self = me.value?.user.id;
  const now = Date.now();

  const change = async (user: UserView, body: UserChange, done: string) => {
    setFailure(null);
    try {
      await api<UserView>(`/api/users/${user.id}`, { method: "PATCH", body });
      toast(done, "ok");
    } catch (e) {
      setFailure(e);
    }
    refresh();
  };

  return (
    <section class="panel">
      <div class="panel-head">
        <h2>Users</h2>
        <button type="button" class="btn primary" onClick={() => setDialog({ kind: "add" })}>
          Add user
        </button>
      </div>
      <ErrorNotice error={failure ?? error} />
      {!data && loading && <div class="muted">Loading…</div>}
      {data && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>User</th>
                <th>Role</th>
                <th>Created</th>
                <th>Last sign-in</th>
                <th>State</th>
                <th class="r">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.users.map((u) => (
                <tr key={u.id} class={u.disabled ? "dim" : ""}>
                  <td>
                    <span class="strong">{u.username}</span>
                    {u.id === self && <span class="badge small you">you</span>}
                  </td>
                  <td>
                    <RoleSelect
                      label={`Role of ${u.username}`}
                      value={u.role}
                      onChange={(role) =>
                        change(
                          u,
                          { role },
                          `"${u.username}" is now ${role === "admin" ? "an" : "a"} ${role}`,
                        )}
                    />
                  </td>
                  <td class="num" title={dateTime(u.createdAt)}>{ago(u.createdAt, now)}</td>
                  <td class="num" title={u.lastLogin ? dateTime(u.lastLogin) : undefined}>
                    {ago(u.lastLogin, now)}
                  </td>
                  <td>
                    {u.disabled
                      ? <span class="badge warn">disabled</span>
                      : <span class="badge ok">active</span>}
                  </td>
                  <td class="r nowrap">
                    <button
                      type="button"
                      class="btn small ghost"
                      onClick={() => setDialog({ kind: "reset", user: u })}
                    >
                      Reset password
                    </button>
                    <button
                      type="button"
                      class="btn small ghost"
                      onClick={() =>
                        u.disabled
                          ? change(u, { disabled: false }, `"${u.username}" can sign in again`)
                          : setDialog({ kind: "disable", user: u })}
                    >
                      {u.disabled ? "Enable" : "Disable"}
                    </button>
                    <button
                      type="button"
                      class="btn small ghost danger"
                      onClick={() => setDialog({ kind: "delete", user: u })}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === "add" && <AddUser onClose={close} onDone={refresh} />}
      {dialog?.kind === "reset" && <ResetPassword user={dialog.user} onClose={close} />}
      {dialog?.kind === "disable" && (
        <Confirm
          title={`Disable "${dialog.user.username}"?`}
          confirmLabel="Disable"
          danger
          onClose={close}
          onConfirm={async () => {
            await api(`/api/users/${dialog.user.id}`, {
              method: "PATCH",
              body: { disabled: true } satisfies UserChange,
            });
            toast(`"${dialog.user.username}" is disabled`, "ok");
            refresh();
          }}
        >
          They are signed out at once and cannot sign in until enabled again. Nothing else of theirs
          changes.
        </Confirm>
      )}
      {dialog?.kind === "delete" && (
        <Confirm
          title={`Delete "${dialog.user.username}"?`}
          confirmLabel="Delete user"
          danger
          onClose={close}
          onConfirm={async () => {
            await api(`/api/users/${dialog.user.id}`, { method: "DELETE" });
            toast(`Deleted "${dialog.user.username}"`, "ok");
            refresh();
          }}
        >
          This cannot be undone. Their sessions end at once; the API keys they created keep working
          until revoked.
        </Confirm>
      )}
    </section>
  );
}
