/**
 * What an admin can do from the dashboard, as calls to the hub: drain, maintenance and resume for
 * a host; pull, load, unload and delete for a model on a host. Each reports its outcome as a
 * toast; results also come back over the live stream, but a host's new state is applied at once
 * so the card changes under the click.
 *
 * @module
 */

import { signal } from "@preact/signals";
import type {
  HostView,
  ModelAction,
  ModelActionResult,
  PullJob,
  PullRequest,
} from "../shared/dashboard.ts";
import { api } from "./api.ts";
import { duration } from "./format.ts";
import { cellKey } from "./matrix.ts";
import { fleet } from "./store.ts";
import { toast } from "./toasts.ts";

/** A host action of the control plane. */
export type HostAction = "drain" | "maintenance" | "resume";

/** A model action in progress on a cell. */
export type ModelActionName = "load" | "unload" | "delete" | "pull";

/** Model actions in progress, by {@link cellKey}. */
export const busy = signal<ReadonlyMap<string, ModelActionName>>(new Map());

/** How long a finished load waits for the host's snapshot to show the model loaded. */
const LOAD_SETTLE_MS = 15_000;

const HOST_ACTION_DONE: Record<HostAction, string> = {
  drain: "is draining",
  maintenance: "is in maintenance",
  resume: "is back in service",
};

function setBusy(key: string, action: ModelActionName | null): void {
  const next = new Map(busy.value);
  if (action) next.set(key, action);
  else next.delete(key);
  busy.value = next;
}

function hostName(id: string): string {
  return fleet.host(id)?.peek().name ?? id;
}

/** Drains a host, puts it in maintenance, or puts it back in service. */
export async function hostAction(hostId: string, action: HostAction): Promise<void> {
  const host = await api<HostView>(`/api/hosts/${encodeURIComponent(hostId)}/${action}`, {
    method: "POST",
  });
  fleet.apply([{ name: "host", data: host }]);
  toast(`${host.name} ${HOST_ACTION_DONE[action]}`, "ok");
}

async function modelAction(
  action: "load" | "unload" | "delete",
  body: ModelAction,
): Promise<ModelActionResult> {
  const key = cellKey(body.host, body.model);
  setBusy(key, action);
  try {
    return await api<ModelActionResult>(`/api/models/${action}`, { body });
  } finally {
    setBusy(key, null);
  }
}

/**
 * Loads (warms) `model` on a host. The cell shows "loading" from the click until the host's
 * snapshot shows the model loaded.
 */
export async function loadModel(hostId: string, model: string): Promise<void> {
  fleet.startLoading(hostId, model);
  try {
    const result = await modelAction("load", { host: hostId, model });
    toast(`Loaded ${model} on ${hostName(hostId)} in ${duration(result.durationMs)}`, "ok");
    setTimeout(() => fleet.endLoading(hostId, model), LOAD_SETTLE_MS);
  } catch (error) {
    fleet.endLoading(hostId, model);
    throw error;
  }
}

/** Unloads `model` from a host's memory. */
export async function unloadModel(hostId: string, model: string): Promise<void> {
  await modelAction("unload", { host: hostId, model });
  toast(`Unloaded ${model} from ${hostName(hostId)}`, "ok");
}

/** Deletes `model` from a host's disk. */
export async function deleteModel(hostId: string, model: string): Promise<void> {
  await modelAction("delete", { host: hostId, model });
  toast(`Deleted ${model} from ${hostName(hostId)}`, "ok");
}

/** Starts pulling `model` to a host, or to every usable host with `host: "all"`. */
export async function pullModel(request: PullRequest): Promise<void> {
  const { jobs } = await api<{ jobs: PullJob[] }>("/api/models/pull", { body: request });
  fleet.apply(jobs.map((data) => ({ name: "pull" as const, data })));
  const where = request.host === "all" ? "every host" : hostName(request.host);
  toast(`Pulling ${request.model} to ${where}`, "info");
}

/** Cancels a running pull. */
export async function cancelPull(id: string): Promise<void> {
  await api(`/api/pulls/${encodeURIComponent(id)}`, { method: "DELETE" });
}

/** Runs an action from a click: its failure becomes a toast rather than an unhandled rejection. */
export function run(action: () => Promise<unknown>): void {
  action().catch((error: Error) => toast(error.message, "bad"));
}
