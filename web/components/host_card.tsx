import type { ReadonlySignal } from "@preact/signals";
import type { HostView } from "../../shared/dashboard.ts";
import type { GpuSample, LoadedModel } from "../../shared/protocol.ts";
import { type HostAction, hostAction, run } from "../actions.ts";
import {
  attention,
  fullestDisk,
  memoryUsed,
  temperatureLevel,
  vramFraction,
} from "../fleet_model.ts";
import { ago, bytes, bytesOf, duration, percent } from "../format.ts";
import { isAdmin } from "../session.ts";
import { fleet } from "../store.ts";
import { Countdown } from "./countdown.tsx";
import { Menu, type MenuItem } from "./menu.tsx";
import { Meter } from "./meter.tsx";
import { Sparkline } from "./sparkline.tsx";
import { StatusBadge } from "./status_badge.tsx";
import { clock } from "../clock.ts";

function shortGpuName(name: string): string {
  return name.replace(/^(NVIDIA|AMD|Radeon)\s+/i, "").replace(/^GeForce\s+/i, "");
}

/** What the card says where it lists no GPU. */
function gpuNote(host: HostView): string {
  const gpus = host.snapshot?.gpus;
  if (host.kind === "ollama") return "Plain Ollama: no agent, no GPU figures";
  if (!gpus) return "No figures yet";
  if (gpus.error) return "GPUs unreadable";
  return gpus.source === "none" ? "CPU only" : "No GPU found";
}

function GpuRow(props: { gpu: GpuSample }) {
  const { gpu } = props;
  const vram = vramFraction(gpu);
  const power = gpu.powerDraw === null
    ? null
    : `${Math.round(gpu.powerDraw)}${gpu.powerLimit ? `/${Math.round(gpu.powerLimit)}` : ""} W`;
  return (
    <div class="gpu">
      <div class="gpu-line">
        <span class="gpu-name" title={gpu.name}>
          <span class="faint">#{gpu.index}</span> {shortGpuName(gpu.name)}
        </span>
        <span class="gpu-figures num">
          <span title="Utilisation">{gpu.mig ? "MIG" : percent(gpu.utilization)}</span>
          <span class={`temp ${temperatureLevel(gpu.temperature)}`} title="Temperature">
            {gpu.temperature === null ? "–" : `${Math.round(gpu.temperature)} °C`}
          </span>
          {power && <span title="Power draw / limit">{power}</span>}
        </span>
      </div>
      <div class="gpu-vram">
        <Meter fraction={vram} warn={0.85} bad={0.95} title="VRAM used" />
        <span class="num muted">
          {bytesOf(gpu.memoryUsed, gpu.memoryTotal)}
        </span>
      </div>
    </div>
  );
}

/** Three GPUs or more: a line each (VRAM bar, busy, temperature), the model names once above. */
function GpuTable(props: { gpus: GpuSample[] }) {
  const names = [...new Set(props.gpus.map((g) => shortGpuName(g.name)))];
  return (
    <>
      <div class="gpu-line">
        <span class="gpu-name">
          {names.length === 1 ? `${props.gpus.length} × ${names[0]}` : names.join(", ")}
        </span>
      </div>
      {props.gpus.map((gpu) => (
        <div key={gpu.index} class="gpu-compact num" title={gpu.name}>
          <span class="faint">#{gpu.index}</span>
          <Meter fraction={vramFraction(gpu)} warn={0.85} bad={0.95} title="VRAM used" />
          <span class="muted">{bytesOf(gpu.memoryUsed, gpu.memoryTotal)}</span>
          <span class="muted">{gpu.mig ? "MIG" : percent(gpu.utilization)}</span>
          <span class={`temp muted ${temperatureLevel(gpu.temperature)}`}>
            {gpu.temperature === null ? "–" : `${Math.round(gpu.temperature)} °C`}
          </span>
        </div>
      ))}
    </>
  );
}

function LoadedRow(props: { model: LoadedModel; inFlight: number }) {
  const { model } = props;
  const expires = model.expiresAt ? Date.parse(model.expiresAt) : null;
  return (
    <li class="loaded-row">
      <span class="loaded-name mono" title={model.name}>{model.name}</span>
      {props.inFlight > 0 && (
        <span class="badge ok small" title="Requests in flight on this model">
          {props.inFlight} busy
        </span>
      )}
      <span class="num muted" title="VRAM">{bytes(model.sizeVram)}</span>
      <span class="num faint expiry" title="Unloads in">
        <Countdown until={expires} />
      </span>
    </li>
  );
}

function Resource(
  props: { label: string; fraction: number | null; detail: string; title?: string },
) {
  const { fraction } = props;
  return (
    <div class="resource" title={props.title}>
      <div class="resource-head">
        <span class="faint">{props.label}</span>
        <span class="num">{fraction === null ? "–" : percent(fraction * 100)}</span>
      </div>
      <Meter fraction={fraction} />
      <div class="resource-detail faint num">{props.detail}</div>
    </div>
  );
}

const ACTIONS: Record<HostView["status"], { action: HostAction; label: string }[]> = {
  online: [
    { action: "drain", label: "Drain (finish requests, take no new)" },
    { action: "maintenance", label: "Put in maintenance" },
  ],
  degraded: [
    { action: "drain", label: "Drain (finish requests, take no new)" },
    { action: "maintenance", label: "Put in maintenance" },
  ],
  offline: [{ action: "maintenance", label: "Put in maintenance" }],
  draining: [
    { action: "resume", label: "Put back in service" },
    { action: "maintenance", label: "Put in maintenance" },
  ],
  maintenance: [{ action: "resume", label: "Put back in service" }],
};

function HostMenu(props: { host: HostView; onOpen: (id: string) => void }) {
  const { host } = props;
  const items: MenuItem[] = [
    { action: "details", label: "Details", onSelect: () => props.onOpen(host.id) },
  ];
  if (isAdmin.value) {
    for (const { action, label } of ACTIONS[host.status]) {
      items.push({ action, label, onSelect: () => run(() => hostAction(host.id, action)) });
    }
  }
  return <Menu label={`Actions for ${host.name}`} items={items} />;
}

function LastSeen(props: { time: number }) {
  return <span>last seen {ago(props.time, clock.value)}</span>;
}

/** One host's card: status, reasons for attention, GPUs, loaded models, resources, sparkline. */
export function HostCard(props: { host: ReadonlySignal<HostView>; onOpen: (id: string) => void }) {
  const host = props.host.value;
  const { snapshot } = host;
  const att = attention(host);
  const m = snapshot?.metrics;
  const mem = memoryUsed(host);
  const disk = fullestDisk(host);
  const gpus = snapshot?.gpus;
  const offline = host.status === "offline";
  return (
    <article
      class={`host-card${att.level ? ` level-${att.level}` : ""}${offline ? " is-offline" : ""}`}
      data-host={host.id}
    >
      <header class="host-head">
        <button type="button" class="host-name" onClick={() => props.onOpen(host.id)}>
          {host.name}
        </button>
        <StatusBadge status={host.status} />
        {host.kind === "ollama" && (
          <span class="badge" title="A plain Ollama, no agent">ollama</span>
        )}
        <span class="spacer" />
        {host.inFlight > 0 && (
          <span class="badge ok" title="Requests the hub has in flight on this host">
            {host.inFlight} in flight
          </span>
        )}
        <HostMenu host={host} onOpen={props.onOpen} />
      </header>
      <div class="host-sub faint">
        {offline
          ? <LastSeen time={host.lastSeen} />
          : m && m.uptimeSeconds > 0
          ? <span>up {duration(m.uptimeSeconds * 1000)}</span>
          : <span>{host.url}</span>}
        {snapshot?.ollama.version && <span>ollama {snapshot.ollama.version}</span>}
        {m && m.cpuCount > 0 && <span>{m.cpuCount} CPUs</span>}
      </div>
      {att.reasons.length > 0 && (
        <ul class="reasons">
          {att.reasons.map((r) => <li key={r.text} class={r.level}>{r.text}</li>)}
        </ul>
      )}
      <section class="gpus">
        {!gpus || gpus.gpus.length === 0
          ? <div class="faint small">{gpuNote(host)}</div>
          : gpus.gpus.length > 2
          ? <GpuTable gpus={gpus.gpus} />
          : gpus.gpus.map((gpu) => <GpuRow key={gpu.index} gpu={gpu} />)}
      </section>
      <section class="models-loaded">
        {snapshot && snapshot.ollama.loaded.length > 0
          ? (
            <ul>
              {snapshot.ollama.loaded.map((model) => (
                <LoadedRow
                  key={model.name}
                  model={model}
                  inFlight={snapshot.inFlight[model.name] ?? 0}
                />
              ))}
            </ul>
          )
          : <div class="faint small">No model loaded</div>}
      </section>
      <section class="resources">
        <Resource
          label="CPU"
          fraction={m?.cpuUtilization == null ? null : m.cpuUtilization / 100}
          detail={m ? `load ${m.load[0].toFixed(2)}` : ""}
          title={m ? `Load ${m.load.map((l) => l.toFixed(2)).join(" ")}` : undefined}
        />
        <Resource
          label="Memory"
          fraction={mem}
          detail={m && m.memoryTotal > 0
            ? bytesOf(m.memoryTotal - m.memoryAvailable, m.memoryTotal)
            : ""}
        />
        <Resource
          label="Disk"
          fraction={disk ? disk.used / disk.total : null}
          detail={disk ? bytesOf(disk.used, disk.total) : ""}
          title={disk ? `${disk.path}: ${bytes(disk.free)} free` : undefined}
        />
      </section>
      <footer class="host-foot">
        <HostSpark id={host.id} />
      </footer>
    </article>
  );
}

/** The card's sparkline: reads only its host's points, so a new point redraws just this. */
function HostSpark(props: { id: string }) {
  const points = fleet.spark(props.id).value;
  const last = points[points.length - 1];
  return (
    <div class="host-spark" title="Last 5 minutes: GPU busy (filled), CPU busy (line)">
      <Sparkline points={points} />
      <div class="spark-legend num">
        <span class="gpu-key">GPU {percent(last?.gpu)}</span>
        <span class="cpu-key">CPU {percent(last?.cpu)}</span>
      </div>
    </div>
  );
}
