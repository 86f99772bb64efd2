/**
 * Model events from the agents' state: what changed between two snapshots of one host. A model
 * that appears in `/api/ps` was loaded; one that disappears was unloaded (and the hub knows for
 * how long it stayed, when it saw it arrive); a model that appears in or leaves `/api/tags` was
 * added to or removed from disk. A digest change under the same name counts as an unload and a
 * load (or a removal and an addition): it is a different model.
 *
 * Pure: the recorder keeps a {@link ModelState} per host and feeds it each snapshot.
 *
 * @module
 */

import type { DiskModel, LoadedModel } from "../../shared/protocol.ts";
import type { ModelEventKind } from "../../shared/history_api.ts";

/** A model loaded on the host, and when the hub saw it load (`null`: it was there first). */
interface Loaded {
  digest: string;
  size: number;
  sizeVram: number;
  since: number | null;
}

/** What the hub last saw on one host. */
export interface ModelState {
  loaded: Map<string, Loaded>;
  disk: Map<string, { digest: string; size: number }>;
}

/** One change, ready to become a `model_events` row. */
export interface ModelChange {
  event: ModelEventKind;
  model: string;
  digest: string;
  size: number;
  sizeVram: number | null;
  /** For an unload: how long it stayed loaded, when known. */
  loadedMs: number | null;
}

/** The state a host's first snapshot sets, without events: the hub did not see those loads. */
export function initialModelState(loaded: readonly LoadedModel[], disk: readonly DiskModel[]) {
  return nextModelState(null, loaded, disk, 0).state;
}

/**
 * The events between `previous` and the new lists, and the state to keep. With no previous state
 * (the host's first snapshot in this hub's life) there are no events.
 */
export function nextModelState(
  previous: ModelState | null,
  loaded: readonly LoadedModel[],
  disk: readonly DiskModel[],
  now: number,
): { state: ModelState; changes: ModelChange[] } {
  const changes: ModelChange[] = [];
  const state: ModelState = { loaded: new Map(), disk: new Map() };

  for (const model of loaded) {
    const before = previous?.loaded.get(model.name);
    const same = before !== undefined && before.digest === model.digest;
    state.loaded.set(model.name, {
      digest: model.digest,
      size: model.size,
      sizeVram: model.sizeVram,
      since: same ? before.since : previous ? now : null,
    });
    if (previous && !same) {
      if (before) changes.push(unload(model.name, before, now));
      changes.push({
        event: "load",
        model: model.name,
        digest: model.digest,
        size: model.size,
        sizeVram: model.sizeVram,
        loadedMs: null,
      });
    }
  }
  if (previous) {
    for (const [name, before] of previous.loaded) {
      if (!state.loaded.has(name)) changes.push(unload(name, before, now));
    }
  }

  for (const model of disk) {
    const before = previous?.disk.get(model.name);
    state.disk.set(model.name, { digest: model.digest, size: model.size });
    if (previous && before?.digest !== model.digest) {
      if (before) changes.push(diskChange("removed", model.name, before));
      changes.push(diskChange("added", model.name, model));
    }
  }
  if (previous) {
    for (const [name, before] of previous.disk) {
      if (!state.disk.has(name)) changes.push(diskChange("removed", name, before));
    }
  }
  return { state, changes };
}

function unload(model: string, before: Loaded, now: number): ModelChange {
  return {
    event: "unload",
    model,
    digest: before.digest,
    size: before.size,
    sizeVram: before.sizeVram,
    loadedMs: before.since === null ? null : now - before.since,
  };
}

function diskChange(
  event: "added" | "removed",
  model: string,
  entry: { digest: string; size: number },
): ModelChange {
  return { event, model, digest: entry.digest, size: entry.size, sizeVram: null, loadedMs: null };
}
