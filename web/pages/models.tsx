import { useComputed, useSignal } from "@preact/signals";
import type { HostView } from "../../shared/dashboard.ts";
import { deleteModel, hostAction, run } from "../actions.ts";
import { LiveNotice } from "../components/live_notice.tsx";
import { MatrixCell } from "../components/matrix_cell.tsx";
import { Confirm } from "../components/modal.tsx";
import { PullForm } from "../components/pull_form.tsx";
import { PullList } from "../components/pull_list.tsx";
import { StatusBadge } from "../components/status_badge.tsx";
import { bytes } from "../format.ts";
import { type ModelRow, modelRows, sameRows } from "../matrix.ts";
import { isAdmin } from "../session.ts";
import { fleet } from "../store.ts";

/** Host ids sorted by name; a new array only when that order changes. */
function useHostColumns() {
  let last: readonly string[] = [];
  return useComputed(() => {
    const next = [...fleet.hosts.value].sort((a, b) => a.name.localeCompare(b.name)).map((h) =>
      h.id
    );
    if (next.length === last.length && next.every((id, i) => id === last[i])) return last;
    return last = next;
  });
}

/** The matrix's rows; the same array while no row changes, so cells are not redrawn for nothing. */
function useRows() {
  let last: ModelRow[] = [];
  return useComputed(() => {
    const next = modelRows(fleet.hosts.value, fleet.pulls.value.values());
    return sameRows(last, next) ? last : last = next;
  });
}

function HostColumn(props: { host: HostView }) {
  const { host } = props;
  const admin = isAdmin.value;
  const out = host.status === "draining" || host.status === "maintenance";
  return (
    <th class="host-col" data-host={host.id} scope="col">
      <div class="host-col-name" title={host.url}>{host.name}</div>
      <div class="host-col-meta">
        <StatusBadge status={host.status} />
      </div>
      <div class="host-col-vram faint num" title="Free VRAM / total">
        {host.totalVram > 0 ? `${bytes(host.freeVram)} free of ${bytes(host.totalVram)}` : "no GPU"}
      </div>
      {admin && host.status !== "offline" && (
        <button
          type="button"
          class="btn small ghost"
          data-action={out ? "resume" : "drain"}
          onClick={() => run(() => hostAction(host.id, out ? "resume" : "drain"))}
        >
          {out ? "Put back" : "Drain"}
        </button>
      )}
    </th>
  );
}

function ColumnHeader(props: { id: string }) {
  const host = fleet.host(props.id)?.value;
  return host ? <HostColumn host={host} /> : null;
}

function RowHead(props: { row: ModelRow }) {
  const { row } = props;
  const meta = [row.parameterSize, row.quantization, row.family].filter(Boolean).join(" · ");
  return (
    <th class="model-col" scope="row">
      <div class="model-name mono" title={row.name}>{row.name}</div>
      <div class="model-meta faint">
        {meta}
        {row.size !== null && <span class="num">{meta ? " · " : ""}{bytes(row.size)}</span>}
      </div>
    </th>
  );
}

/**
 * The Models page: pull a model, the pulls in progress, and the matrix of models by hosts with
 * each cell's state and an admin's actions.
 */
export function ModelsPage() {
  const columns = useHostColumns();
  const rows = useRows();
  const filter = useSignal("");
  const deleting = useSignal<{ hostId: string; model: string } | null>(null);
  const askDelete = (hostId: string, model: string) => deleting.value = { hostId, model };

  if (!fleet.ready.value) {
    return (
      <>
        <LiveNotice />
        <div class="empty muted">Waiting for the fleet…</div>
      </>
    );
  }
  const text = filter.value.trim().toLowerCase();
  const shown = text ? rows.value.filter((r) => r.name.toLowerCase().includes(text)) : rows.value;
  const target = deleting.value;
  return (
    <>
      <div class="page-head">
        <h1>Models</h1>
        <input
          type="search"
          class="filter"
          placeholder="Filter models"
          aria-label="Filter models by name"
          value={filter.value}
          onInput={(e) => filter.value = e.currentTarget.value}
        />
      </div>
      <LiveNotice />
      {isAdmin.value && (
        <section class="panel pull-panel">
          <h2>Pull a model</h2>
          <PullForm />
        </section>
      )}
      <PullList />
      {columns.value.length === 0
        ? <div class="empty panel muted">No hosts in the fleet yet.</div>
        : (
          <div class="matrix-wrap panel">
            <table class="matrix">
              <thead>
                <tr>
                  <th class="model-col corner" scope="col">
                    {rows.value.length} models · {columns.value.length} hosts
                  </th>
                  {columns.value.map((id) => <ColumnHeader key={id} id={id} />)}
                </tr>
              </thead>
              <tbody>
                {shown.length === 0 && (
                  <tr>
                    <td class="muted empty-row" colSpan={columns.value.length + 1}>
                      {text ? `No model matches “${filter.value}”.` : "No models on any host."}
                    </td>
                  </tr>
                )}
                {shown.map((row) => (
                  <tr key={row.name} data-model={row.name}>
                    <RowHead row={row} />
                    {columns.value.map((id) => {
                      const host = fleet.host(id);
                      return host && (
                        <MatrixCell key={id} host={host} model={row.name} askDelete={askDelete} />
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      {target && (
        <Confirm
          title="Delete a model"
          confirmLabel="Delete"
          danger
          onConfirm={() => deleteModel(target.hostId, target.model)}
          onClose={() => deleting.value = null}
        >
          <p>
            Delete <b class="mono">{target.model}</b> from{" "}
            <b>{fleet.host(target.hostId)?.peek().name ?? target.hostId}</b>? It must be pulled
            again to be used there.
          </p>
        </Confirm>
      )}
    </>
  );
}
