/**
 * The Settings page's read-only panels: the hub itself, the fleet key (only whether there is one
 * and its fingerprint, never the key), and history's retention with the configuration keys that
 * change it.
 *
 * @module
 */

import type { SettingsView } from "../../shared/dashboard.ts";
import { HISTORY_KEYS, spanText } from "./retention.ts";

/** The hub: name, version, where its two planes listen. */
export function HubPanel(props: { settings: SettingsView }) {
  const { hub, apiKeysRequired } = props.settings;
  return (
    <section class="panel">
      <h2>Hub</h2>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{hub.name}</dd>
        <dt>Version</dt>
        <dd class="num">{hub.version}</dd>
        <dt>Ollama and OpenAI APIs</dt>
        <dd class="mono">{hub.dataUrl}</dd>
        <dt>Control plane</dt>
        <dd class="mono">{hub.controlUrl}</dd>
        <dt>Client API keys</dt>
        <dd>
          {apiKeysRequired ? "required" : (
            <span>
              not required{" "}
              <span class="faint">
                (loopback, or <code>open_api: true</code>)
              </span>
            </span>
          )}
        </dd>
      </dl>
    </section>
  );
}

/** The fleet key: present or not, its fingerprint, and how agents get the same key. */
export function FleetKeyPanel(props: { settings: SettingsView }) {
  const { present, fingerprint } = props.settings.fleetKey;
  return (
    <section class="panel">
      <div class="panel-head">
        <h2>Fleet key</h2>
        {present
          ? <span class="badge ok">set</span>
          : <span class="badge bad">none: insecure</span>}
      </div>
      {present
        ? (
          <>
            <dl class="facts">
              <dt>Fingerprint</dt>
              <dd class="mono" data-fingerprint>{fingerprint}</dd>
            </dl>
            <p class="muted small">
              Every agent and hub shares this key: it signs discovery packets and authenticates the
              hub to each agent. The dashboard never shows it. Install the same key on each GPU host
              as <code>/etc/corral/fleet.key</code>{" "}
              (root only, mode 0600); the agent's systemd unit hands it over with{" "}
              <code>LoadCredential=fleet-key:…</code> (or set <code>CORRAL_FLEET_KEY</code>, or{" "}
              <code>--fleet-key-file</code>).
            </p>
            <p class="muted small">
              To check that a host holds the same key, compare this fingerprint with:
            </p>
            <pre class="cmd">{`printf 'corral fleet key fingerprint\\n%s' "$(cat /etc/corral/fleet.key)" | sha256sum | cut -c1-16`}</pre>
            <p class="muted small">
              To rotate it, write a new key (<code>openssl rand -base64 32</code>) to every host and
              hub and restart them; hosts with the old key drop out until they have the new one.
            </p>
          </>
        )
        : (
          <p class="muted small">
            This hub runs with{" "}
            <code>insecure: true</code>: discovery packets are not signed and agents accept any hub.
            Use it only on a trusted network; set <code>fleet_key_file</code>{" "}
            in the hub's configuration and the same key on every agent to secure the fleet.
          </p>
        )}
    </section>
  );
}

/** History: the backend, the retention and the sample interval, with their config keys. */
export function RetentionPanel(props: { settings: SettingsView }) {
  const { history } = props.settings;
  return (
    <section class="panel">
      <div class="panel-head">
        <h2>History and retention</h2>
        {history.enabled
          ? (
            <span class="badge ok">
              {history.backend === "postgres" ? "PostgreSQL" : "embedded PGlite"}
            </span>
          )
          : <span class="badge warn">off</span>}
      </div>
      {!history.enabled && (
        <p class="muted small">
          History is off (<code>history.enabled: false</code> or{" "}
          <code>--no-history</code>): no requests, metrics or events are recorded, and there are no
          accounts.
        </p>
      )}
      <table class="table compact">
        <tbody>
          {HISTORY_KEYS.map((k) => (
            <tr key={k.key}>
              <td>
                <div>{k.label}</div>
                <div class="faint small">{k.about}</div>
              </td>
              <td class="num strong nowrap">{spanText(history[k.field])}</td>
              <td class="r">
                <code>{k.key}</code>
                {k.flag && <div class="faint small">or {k.flag}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">
        Read-only here: set these in the hub's configuration file (<code>hub.yaml</code>) and
        restart the hub. Ranges older than the raw retention are drawn from the hourly rollups.
      </p>
    </section>
  );
}
