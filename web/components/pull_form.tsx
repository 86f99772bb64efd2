import { useSignal } from "@preact/signals";
import { pullModel } from "../actions.ts";
import { fleet } from "../store.ts";
import { errorMessage } from "./error_notice.tsx";

/** The "pull a model" form: a name and a host, or every usable host. */
export function PullForm() {
  const model = useSignal("");
  const host = useSignal("all");
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const hosts = [...fleet.hosts.value].sort((a, b) => a.name.localeCompare(b.name));

  const submit = async (event: Event) => {
    event.preventDefault();
    const name = model.value.trim();
    if (!name) return;
    busy.value = true;
    error.value = null;
    try {
      await pullModel({ model: name, host: host.value });
      model.value = "";
    } catch (e) {
      error.value = errorMessage(e);
    } finally {
      busy.value = false;
    }
  };

  return (
    <form class="pull-form" onSubmit={submit}>
      <input
        class="mono pull-name"
        placeholder="Model to pull, e.g. qwen3:8b"
        aria-label="Model to pull"
        required
        value={model.value}
        onInput={(e) => model.value = e.currentTarget.value}
      />
      <select
        aria-label="Where to pull it"
        value={host.value}
        onChange={(e) => host.value = e.currentTarget.value}
      >
        <option value="all">All usable hosts</option>
        {hosts.map((h) => (
          <option key={h.id} value={h.id} disabled={h.status === "offline"}>
            {h.name}
            {h.status === "online" ? "" : ` (${h.status})`}
          </option>
        ))}
      </select>
      <button type="submit" class="btn primary" disabled={busy.value || !model.value.trim()}>
        {busy.value ? "Starting…" : "Pull"}
      </button>
      {error.value && <span class="error-text">{error.value}</span>}
    </form>
  );
}
