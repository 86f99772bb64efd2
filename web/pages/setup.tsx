import { useState } from "preact/hooks";
import type { Me, SetupRequest } from "../../shared/dashboard.ts";
import { api } from "../api.ts";
import { AuthCard } from "../components/auth_card.tsx";
import { ErrorNotice } from "../components/error_notice.tsx";
import { navigate, queryParam } from "../router.ts";
import { authState, setMe } from "../session.ts";
import { MIN_PASSWORD, passwordProblem } from "../passwords.ts";

/**
 * First-admin setup, from the one-time link the hub printed (`/setup?token=…`): the token comes
 * from the link (or is pasted), then a username and a password twice.
 */
export function SetupPage() {
  const fromLink = queryParam("token") ?? "";
  const [token, setToken] = useState(fromLink);
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = passwordProblem(password, again);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: SetupRequest = { token: token.trim(), username: username.trim(), password };
      const user = await api<Me>("/api/auth/setup", { body });
      setMe(user);
      if (authState.value) authState.value = { ...authState.value, setupNeeded: false };
      navigate("/", { replace: true });
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Create the first admin">
      <p class="muted">
        This hub has no users yet. The account you create here can add others from Settings.
      </p>
      <form onSubmit={submit}>
        {!fromLink && (
          <div class="field">
            <label for="setup-token">Setup token (printed by the hub at start)</label>
            <input
              id="setup-token"
              class="mono"
              required
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          </div>
        )}
        <div class="field">
          <label for="setup-user">Username</label>
          <input
            id="setup-user"
            autoComplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="setup-password">Password (at least {MIN_PASSWORD} characters)</label>
          <input
            id="setup-password"
            type="password"
            autoComplete="new-password"
            autoFocus
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="setup-again">Password again</label>
          <input
            id="setup-again"
            type="password"
            autoComplete="new-password"
            required
            value={again}
            onInput={(e) => setAgain(e.currentTarget.value)}
          />
        </div>
        <ErrorNotice error={error} />
        <button type="submit" class="btn primary wide" disabled={busy}>
          {busy ? "Creating…" : "Create admin and sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
