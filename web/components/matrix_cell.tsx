import { computed, type ReadonlySignal, useComputed } from "@preact/signals";
import type { HostView } from "../../shared/dashboard.ts";
import { busy, loadModel, type ModelActionName, pullModel, run, unloadModel } from "../actions.ts";
import { bytes } from "../format.ts";
import { cellKey, cellState, latestPulls } from "../matrix.ts";
import { isAdmin } from "../session.ts";
import { fleet } from "../store.ts";
import { Countdown } from "./countdown.tsx";
import { Meter } from "./meter.tsx";

/** The newest pull of each model on each host, shared by every cell. */
const latest = computed(() => latestPulls(fleet.pulls.value.values()));

const PENDING: Record<ModelActionName, string> = {
  load: "loading…",
  unload: "unloading…",
  delete: "deleting…",
  pull: "starting…",
};

/** Asks before a delete; given by the page, which shows the dialog. */
export type AskDelete = (hostId: string, model: string) => void;

function ActionButton(props: { label: string; onClick: () => void; danger?: boolean }) {
  return (
    <button
      type="button"
      class={`btn small ghost${props.danger ? " danger" : ""}`}
      data-action={props.label.toLowerCase()}
      onClick={props.onClick}
    >
      {props.label}
    </button>
  );
}

/**
 * One model on one host: loaded (VRAM, time to expiry), loading, pulling (progress), failed, on
 * disk or absent, with an admin's actions. Re-renders on its host's events, its own pull's events,
 * and its own pending actions, not on everybody's.
 */
export function MatrixCell(
  props: { host: ReadonlySignal<HostView>; model: string; askDelete: AskDelete },
) {
  const { model } = props;
  const host = props.host.value;
  const key = cellKey(host.id, model);
  const pull = useComputed(() => latest.value.get(key) ?? null);
  const loading = useComputed(() => fleet.loading.value.has(key));
  const pending = useComputed(() => busy.value.get(key) ?? null);
  const cell = cellState(host, model, { pull: pull.value, loading: loading.value });
  const admin = isAdmin.value && host.status !== "offline" && pending.value === null;
  const hostId = host.id;

  let body;
  let actions = null;
  switch (cell.state) {
    case "loaded": {
      const expires = cell.loaded.expiresAt ? Date.parse(cell.loaded.expiresAt) : null;
      const inFlight = host.snapshot?.inFlight[cell.loaded.name] ?? 0;
      body = (
        <>
          <span class="state loaded">
            <i class="dot" />loaded{inFlight > 0 && <b class="busy-count">{inFlight}</b>}
          </span>
          <span class="cell-sub num">
            {bytes(cell.loaded.sizeVram)} · <Countdown until={expires} />
          </span>
        </>
      );
      if (admin) {
        actions = (
          <ActionButton
            label="Unload"
            onClick={() => run(() => unloadModel(hostId, model))}
          />
        );
      }
      break;
    }
    case "loading":
      body = (
        <>
          <span class="state loading">
            <i class="spinner" />loading
          </span>
          <span class="cell-sub faint">{cell.disk ? bytes(cell.disk.size) : ""}</span>
        </>
      );
      break;
    case "pulling": {
      const pct = cell.progress === null ? null : Math.floor(cell.progress * 100);
      body = (
        <>
          <span class="state pulling">
            pulling <b class="num">{pct === null ? "" : `${pct} %`}</b>
          </span>
          <Meter fraction={cell.progress} level="" title={cell.pull.status} />
        </>
      );
      break;
    }
    case "failed":
      body = (
        <>
          <span class="state failed" title={cell.pull.error ?? undefined}>pull failed</span>
          <span class="cell-sub faint" title={cell.pull.error ?? undefined}>
            {cell.pull.error}
          </span>
        </>
      );
      if (admin) {
        actions = (
          <ActionButton
            label="Retry"
            onClick={() => run(() => pullModel({ model, host: hostId }))}
          />
        );
      }
      break;
    case "disk":
      body = (
        <>
          <span class="state disk">on disk</span>
          <span class="cell-sub faint num">{bytes(cell.disk.size)}</span>
        </>
      );
      if (admin) {
        actions = (
          <>
            <ActionButton label="Load" onClick={() => run(() => loadModel(hostId, model))} />
            <ActionButton label="Delete" danger onClick={() => props.askDelete(hostId, model)} />
          </>
        );
      }
      break;
    case "absent":
      body = <span class="state absent">–</span>;
      if (admin) {
        actions = (
          <ActionButton
            label="Pull"
            onClick={() => run(() => pullModel({ model, host: hostId }))}
          />
        );
      }
      break;
  }
  return (
    <td
      class={`cell ${cell.state}${host.status === "offline" ? " off" : ""}`}
      data-host={hostId}
      data-state={cell.state}
    >
      <div class="cell-body">{body}</div>
      {pending.value && <div class="cell-actions shown faint">{PENDING[pending.value]}</div>}
      {actions && <div class="cell-actions">{actions}</div>}
    </td>
  );
}
