/**
 * The Models page's matrix over plain data: one row per model the fleet knows (on any host's
 * disk, loaded, or being pulled), one column per host, and the state of each cell. No signals and
 * no DOM, so it is tested with `deno test`.
 *
 * @module
 */

import type { HostView, PullJob } from "../shared/dashboard.ts";
import type { DiskModel, LoadedModel } from "../shared/protocol.ts";

/** A model as a row: its name and what the hosts that have it say about it. */
export interface ModelRow {
  name: string;
  /** Bytes on disk (the largest any host reports; they agree unless digests differ). */
  size: number | null;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  /** Hosts with it on disk, and with it loaded. */
  onDisk: number;
  loaded: number;
}

/** What one model is on one host. */
export type Cell =
  | { state: "loaded"; loaded: LoadedModel; disk: DiskModel | null }
  | { state: "loading"; disk: DiskModel | null }
  | { state: "pulling"; pull: PullJob; progress: number | null }
  | { state: "failed"; pull: PullJob }
  | { state: "disk"; disk: DiskModel }
  | { state: "absent" };

/**
 * A model name as Ollama stores it: `llama3.2` is `llama3.2:latest`; a tag after the last `/` is
 * kept (`hf.co/org/repo:Q4_K_M`), and a port in a registry host is not a tag.
 */
export function canonicalModel(name: string): string {
  const trimmed = name.trim();
  const slash = trimmed.lastIndexOf("/");
  return trimmed.indexOf(":", slash + 1) === -1 ? `${trimmed}:latest` : trimmed;
}

/** The key of one model on one host, for pulls and actions in progress. */
export function cellKey(hostId: string, model: string): string {
  return `${hostId}\u0000${canonicalModel(model)}`;
}

/** The host id and model of a {@link cellKey}. */
export function splitCellKey(key: string): { hostId: string; model: string } {
  const at = key.indexOf("\u0000");
  return { hostId: key.slice(0, at), model: key.slice(at + 1) };
}

/** The newest pull of each model on each host, by {@link cellKey}. */
export function latestPulls(pulls: Iterable<PullJob>): Map<string, PullJob> {
  const latest = new Map<string, PullJob>();
  for (const job of pulls) {
    const key = cellKey(job.hostId, job.model);
    const seen = latest.get(key);
    if (!seen || job.startedAt >= seen.startedAt) latest.set(key, job);
  }
  return latest;
}

/** A pull's progress as a fraction (0-1), or `null` before a layer reports its size. */
export function pullProgress(job: PullJob): number | null {
  if (job.state === "done") return 1;
  if (job.completed === null || !job.total) return null;
  return Math.min(1, job.completed / job.total);
}

/**
 * The rows of the matrix, sorted by name: every model on a host's disk or loaded, and every model
 * being pulled (or whose pull failed) even where no host has it yet.
 */
export function modelRows(hosts: readonly HostView[], pulls: Iterable<PullJob> = []): ModelRow[] {
  const rows = new Map<string, ModelRow>();
  const row = (name: string): ModelRow => {
    const key = canonicalModel(name);
    let found = rows.get(key);
    if (!found) {
      found = {
        name: key,
        size: null,
        family: null,
        parameterSize: null,
        quantization: null,
        onDisk: 0,
        loaded: 0,
      };
      rows.set(key, found);
    }
    return found;
  };
  for (const host of hosts) {
    const ollama = host.snapshot?.ollama;
    if (!ollama) continue;
    for (const disk of ollama.models) {
      const r = row(disk.name);
      r.onDisk++;
      if (r.size === null || disk.size > r.size) r.size = disk.size;
      r.family ||= disk.family || null;
      r.parameterSize ||= disk.parameterSize || null;
      r.quantization ||= disk.quantization || null;
    }
    for (const loaded of ollama.loaded) {
      const r = row(loaded.name);
      r.loaded++;
      r.size ??= loaded.size;
    }
  }
  for (const job of pulls) {
    if (job.state === "running" || job.state === "failed") row(job.model);
  }
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether two row lists show the same thing (so a view can keep the old one). */
export function sameRows(a: readonly ModelRow[], b: readonly ModelRow[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((r, i) => {
    const s = b[i]!;
    return r.name === s.name && r.size === s.size && r.family === s.family &&
      r.parameterSize === s.parameterSize && r.quantization === s.quantization &&
      r.onDisk === s.onDisk && r.loaded === s.loaded;
  });
}

/** What to show for `model` on `host`. */
export function cellState(
  host: HostView,
  model: string,
  options: { pull?: PullJob | null; loading?: boolean } = {},
): Cell {
  const name = canonicalModel(model);
  const ollama = host.snapshot?.ollama;
  const disk = ollama?.models.find((m) => canonicalModel(m.name) === name) ?? null;
  const loaded = ollama?.loaded.find((m) => canonicalModel(m.name) === name) ?? null;
  if (loaded) return { state: "loaded", loaded, disk };
  if (options.loading) return { state: "loading", disk };
  const pull = options.pull;
  if (pull?.state === "running") return { state: "pulling", pull, progress: pullProgress(pull) };
  if (disk) return { state: "disk", disk };
  if (pull?.state === "failed") return { state: "failed", pull };
  return { state: "absent" };
}

/** Whether `host` has `model` loaded now (a load started from the dashboard has finished). */
export function isLoaded(host: HostView, model: string): boolean {
  const name = canonicalModel(model);
  return host.snapshot?.ollama.loaded.some((m) => canonicalModel(m.name) === name) ?? false;
}
