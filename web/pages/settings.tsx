/**
 * The Settings page (`/settings`): your account, users (admins), client API keys, the fleet key,
 * history's retention and the hub itself. Viewers see everything but secrets and get no action
 * buttons; the hub refuses their changes anyway.
 *
 * @module
 */

import "../settings/settings.css";
import type { SettingsView } from "../../shared/dashboard.ts";
import { ErrorNotice } from "../components/error_notice.tsx";
import { useApi } from "../history/use_api.ts";
import { authState, isAdmin } from "../session.ts";
import { AccountPanel } from "../settings/account.tsx";
import { ApiKeysPanel } from "../settings/api_keys.tsx";
import { FleetKeyPanel, HubPanel, RetentionPanel } from "../settings/hub_panels.tsx";
import { UsersPanel } from "../settings/users.tsx";

function UsersNote(props: { accounts: boolean }) {
  return (
    <section class="panel">
      <h2>Users</h2>
      <p class="muted">
        {props.accounts
          ? "Only admins see and manage users."
          : "This hub has no accounts: history is off, so there is no database to keep them in, " +
            "and the control plane is open to whoever can reach it. Keep it on a private address."}
      </p>
    </section>
  );
}

/** The Settings page. */
export function SettingsPage() {
  const settings = useApi<SettingsView>("/api/settings");
  const accounts = authState.value?.accounts ?? true;
  const s = settings.data;
  return (
    <div class="settings">
      <div class="page-head">
        <h1>Settings</h1>
        {!isAdmin.value && <span class="badge">read-only: you are a viewer</span>}
      </div>
      <ErrorNotice error={settings.error} />
      <div class="settings-grid">
        <div class="settings-main">
          {accounts && isAdmin.value ? <UsersPanel /> : <UsersNote accounts={accounts} />}
          <ApiKeysPanel
            dataUrl={s?.hub.dataUrl ?? null}
            required={s?.apiKeysRequired ?? null}
            accounts={accounts}
          />
        </div>
        <div class="settings-side">
          <AccountPanel />
          {s && <FleetKeyPanel settings={s} />}
          {s && <RetentionPanel settings={s} />}
          {s && <HubPanel settings={s} />}
          {!s && settings.loading && <section class="panel muted">Loading…</section>}
        </div>
      </div>
    </div>
  );
}
