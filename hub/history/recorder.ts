/**
 * Turns what the registry sees into history: server events (found, status changes, reboots, a new
 * Ollama version, removal) and model events (loads, unloads, models added to or removed from disk,
 * from the difference between a host's consecutive snapshots), as they happen; and every
 * `sampleIntervalMs`, a sample of each live host (`server_snapshots`, `system_metrics`,
 * `gpu_metrics`) and its `servers` row. Everything goes to the writer's queues; nothing here waits
 * for the database.
 *
 * @module
 */

import type { HostRecord } from "../host.ts";
import type { InFlightTable } from "../in_flight.ts";
import type { Registry, RegistryEvent } from "../registry.ts";
import { uuidv7 } from "./ids.ts";
import { type ModelState, nextModelState } from "./model_diff.ts";
import { sampleRows, serverRow } from "./sample_rows.ts";
import type { ServerEventKind } from "../../shared/history_api.ts";
import type { HistoryWriter } from "./writer.ts";

/** What the recorder reads and where it writes. */
export interface RecorderOptions {
  registry: Registry;
  inFlight: InFlightTable;
  writer: HistoryWriter;
  /** Time between samples of each host. */
  sampleIntervalMs: number;
  /** @default Date.now */
  now?: () => number;
}

/** A running recorder. */
export interface Recorder {
  /** Samples every live host now (also done every `sampleIntervalMs`). */
  sample(): void;
  stop(): void;
}

/** Starts recording the registry's events and sampling its hosts. */
export function startRecorder(options: RecorderOptions): Recorder {
  const { registry, inFlight, writer, now = Date.now } = options;
  const models = new Map<string, ModelState>();

  const event = (
    host: HostRecord,
    kind: ServerEventKind,
    previous: string | null,
    detail: string | null,
  ) => {
    const at = now();
    writer.append("server_events", {
      id: uuidv7(at),
      time: new Date(at).toISOString(),
      server_id: host.id,
      event: kind,
      previous,
      detail,
    });
    writer.upsertServer(serverRow(host, at));
  };

  const onEvent = (change: RegistryEvent) => {
    const { host } = change;
    switch (change.type) {
      case "added":
        return event(host, "discovered", null, `${host.kind} at ${host.url} (${host.source})`);
      case "status":
        return event(host, change.to, change.from, change.reason);
      case "reboot":
        return event(host, "reboot", change.previousBootId, `boot id ${change.bootId}`);
      case "ollama-version":
        return event(host, "ollama-version", change.from, change.to);
      case "removed":
        models.delete(host.id);
        return event(host, "removed", host.status, null);
      case "snapshot":
        return recordModels(host);
    }
  };

  const recordModels = (host: HostRecord) => {
    const snapshot = host.snapshot;
    if (!snapshot || !snapshot.ollama.reachable) return; // Unknown is not "nothing loaded".
    const at = now();
    const previous = models.get(host.id) ?? null;
    const { state, changes } = nextModelState(
      previous,
      snapshot.ollama.loaded,
      snapshot.ollama.models,
      at,
    );
    models.set(host.id, state);
    const time = new Date(at).toISOString();
    for (const change of changes) {
      writer.append("model_events", {
        id: uuidv7(at),
        time,
        server_id: host.id,
        model: change.model,
        event: change.event,
        digest: change.digest,
        size: change.size,
        size_vram: change.sizeVram,
        loaded_ms: change.loadedMs,
        detail: null,
      });
    }
  };

  const sample = () => {
    const at = now();
    for (const host of registry.records()) {
      if (host.status === "offline") continue;
      const rows = sampleRows(host, inFlight.total(host.id), at);
      if (!rows) continue;
      writer.append("server_snapshots", rows.snapshot);
      writer.append("system_metrics", rows.system);
      for (const gpu of rows.gpus) writer.append("gpu_metrics", gpu);
      writer.upsertServer(serverRow(host, at));
    }
  };

  const unsubscribe = registry.subscribe(onEvent);
  const timer = setInterval(sample, options.sampleIntervalMs);
  return {
    sample,
    stop() {
      unsubscribe();
      clearInterval(timer);
    },
  };
}
