import { useState } from "preact/hooks";
import type { LoginRequest, Me } from "../../shared/dashboard.ts";
import { api, ApiError } from "../api.ts";
import { AuthCard } from "../components/auth_card.tsx";
import { ErrorNotice } from "../components/error_notice.tsx";
import { navigate, queryParam, safeNext } from "../router.ts";
import { setMe } from "../session.ts";

/** The login page: username and password; back to where the user was going on success. */
export function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: LoginRequest = { username: username.trim(), password };
      const user = await api<Me>("/api/auth/login", { body });
      setMe(user);
      navigate(safeNext(queryParam("next")), { replace: true });
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401 ? "Wrong username or password" : e,
      );
      setBusy(false);
    }
  };

  return (
    <AuthCard title="Sign in">
      <form onSubmit={submit}>
        <div class="field">
          <label for="login-user">Username</label>
          <input
            id="login-user"
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </div>
        <ErrorNotice error={error} />
        <button type="submit" class="btn primary wide" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </AuthCard>
  );
}
