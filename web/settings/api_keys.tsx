/**
 * The Settings page's client API keys: the configuration file's (read-only) and the dashboard's.
 * Admins create a key with a name and a model allow-list, see its secret once (with a copy
 * button), and revoke keys after a confirmation. Viewers see the list without any action.
 *
 * @module
 */

import { useState } from "preact/hooks";
import type { ApiKeyView, CreatedApiKey, NewApiKey } from "../../shared/dashboard.ts";
import { api } from "../api.ts";
import { ErrorNotice } from "../components/error_notice.tsx";
import { Confirm, Modal } from "../components/modal.tsx";
import { ago, dateTime } from "../format.ts";
import { useApi } from "../history/use_api.ts";
import { isAdmin } from "../session.ts";
import { toast } from "../toasts.ts";
import { FormModal } from "./form_modal.tsx";
import { parseModelList } from "./model_list.ts";

function Models(props: { models: string[] | null }) {
  if (props.models === null) return <span class="muted">every model</span>;
  return (
    <span class="chips">
      {props.models.map((m) => <code key={m} class="chip">{m}</code>)}
    </span>
  );
}

function CreateKey(props: { onClose: () => void; onCreated: (created: CreatedApiKey) => void }) {
  const [name, setName] = useState("");
  const [models, setModels] = useState("");
  return (
    <FormModal
      title="Create an API key"
      submitLabel="Create key"
      onClose={props.onClose}
      onSubmit={async () => {
        const list = parseModelList(models);
        if ("error" in list) throw new Error(list.error);
        const body: NewApiKey = { name: name.trim(), models: list.models };
        props.onCreated(await api<CreatedApiKey>("/api/keys", { body }));
      }}
    >
      <div class="field">
        <label for="key-name">Name (who or what uses it)</label>
        <input
          id="key-name"
          required
          autoFocus
          maxLength={64}
          autoComplete="off"
          placeholder="open-webui"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="key-models">Models it may use</label>
        <textarea
          id="key-models"
          rows={3}
          placeholder="qwen3:*, llama3.2:3b"
          value={models}
          onInput={(e) => setModels(e.currentTarget.value)}
        />
        <p class="faint small">
          Names or <code>NAME:*</code>{" "}
          patterns, separated by commas or new lines. Leave empty to allow every model.
        </p>
      </div>
    </FormModal>
  );
}

/** Shows a new key's secret, once, with a copy button and how to use it. */
function SecretOnce(
  props: { created: CreatedApiKey; dataUrl: string | null; onClose: () => void },
) {
  const { key, secret } = props.created;
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  const base = props.dataUrl ?? "http://HUB:11434";
  return (
    <Modal title={`API key "${key.name}" created`} onClose={props.onClose}>
      <div class="notice warn">
        <strong>Copy this key now: it is shown only once.</strong>{" "}
        The hub keeps only a hash of it; if it is lost, revoke it and create another.
      </div>
      <div class="secret">
        <code class="secret-value" data-secret>{secret}</code>
        <button type="button" class="btn primary" onClick={copy} autoFocus>
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      {copied === false && (
        <p class="error-text">
          The browser did not allow copying: select the key and copy it by hand.
        </p>
      )}
      <p class="muted small">
        Clients send it as a bearer token, e.g.{" "}
        <code>
          curl -H "Authorization: Bearer $KEY" {base}/api/tags
        </code>
        , or as the <code>apiKey</code> of the OpenAI SDK with <code>{base}/v1</code>.
      </p>
      <div class="row end">
        <button type="button" class="btn" onClick={props.onClose}>I have copied it</button>
      </div>
    </Modal>
  );
}

/** The API keys panel. */
export function ApiKeysPanel(
  props: { dataUrl: string | null; required: boolean | null; accounts: boolean },
) {
  // Without accounts there is no database: only the configuration file's keys exist.
  const admin = isAdmin.value && props.accounts;
  const [reload, setReload] = useState(0);
  const { data, error, loading } = useApi<{ keys: ApiKeyView[] }>("/api/keys", reload);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null);
  const refresh = () => setReload((n) => n + 1);
  const now = Date.now();
  const keys = data?.keys ?? [];

  return (
    <section class="panel">
      <div class="panel-head">
        <div>
          <h2>API keys</h2>
          <p class="muted small">
            {props.required === false
              ? "This hub does not ask clients for a key now (its data plane is on loopback, or open_api is set); keys still name clients in the request log."
              : "Clients of the Ollama and OpenAI APIs send one of these as a bearer token."}
          </p>
        </div>
        {admin && (
          <button type="button" class="btn primary" onClick={() => setCreating(true)}>
            Create key
          </button>
        )}
      </div>
      <ErrorNotice error={error} />
      {!data && loading && <div class="muted">Loading…</div>}
      {data && keys.length === 0 && (
        <div class="empty-note muted">
          No API keys yet.{admin ? " Create one for each client or person." : ""}
          {!props.accounts && " Without a database, keys come only from the configuration " +
              "file (api_keys or api_keys_file)."}
        </div>
      )}
      {keys.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Models</th>
                <th>Source</th>
                <th>Created</th>
                <th>Last used</th>
                <th>State</th>
                {admin && <th class="r">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={`${k.source}:${k.id ?? k.name}`} class={k.revokedAt ? "dim" : ""}>
                  <td class="strong">{k.name}</td>
                  <td>
                    <Models models={k.models} />
                  </td>
                  <td>
                    {k.source === "config"
                      ? (
                        <span class="badge" title="Set in the hub's configuration file">
                          config file
                        </span>
                      )
                      : <span class="badge info">dashboard</span>}
                  </td>
                  <td class="num" title={k.createdAt ? dateTime(k.createdAt) : undefined}>
                    {k.createdAt ? ago(k.createdAt, now) : "–"}
                    {k.createdBy && <span class="faint">{` by ${k.createdBy}`}</span>}
                  </td>
                  <td class="num" title={k.lastUsed ? dateTime(k.lastUsed) : undefined}>
                    {k.source === "config" ? "–" : ago(k.lastUsed, now)}
                  </td>
                  <td>
                    {k.revokedAt
                      ? (
                        <span class="badge bad" title={dateTime(k.revokedAt)}>
                          revoked {ago(k.revokedAt, now)}
                        </span>
                      )
                      : <span class="badge ok">active</span>}
                  </td>
                  {admin && (
                    <td class="r">
                      {k.source === "config"
                        ? <span class="faint small">edit the config file</span>
                        : !k.revokedAt && (
                          <button
                            type="button"
                            class="btn small ghost danger"
                            onClick={() => setRevoking(k)}
                          >
                            Revoke
                          </button>
                        )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && (
        <CreateKey
          onClose={() => setCreating(false)}
          onCreated={(c) => {
            setCreating(false);
            setCreated(c);
            refresh();
          }}
        />
      )}
      {created && (
        <SecretOnce
          created={created}
          dataUrl={props.dataUrl}
          onClose={() => setCreated(null)}
        />
      )}
      {revoking && (
        <Confirm
          title={`Revoke "${revoking.name}"?`}
          confirmLabel="Revoke key"
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api(`/api/keys/${revoking.id}`, { method: "DELETE" });
            toast(`Revoked "${revoking.name}"`, "ok");
            refresh();
          }}
        >
          Clients using it are refused at once (within 30 seconds on other hubs sharing this
          database). This cannot be undone: a revoked key stays listed, and a new key is needed to
          let the client back in.
        </Confirm>
      )}
    </section>
  );
}
