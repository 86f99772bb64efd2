import { bytes, percent } from "../format.ts";
import { fleet } from "../store.ts";
import { Meter } from "./meter.tsx";

function Tile(props: { label: string; value: string; sub?: string; class?: string }) {
  return (
    <div class={`tile ${props.class ?? ""}`}>
      <div class="tile-label">{props.label}</div>
      <div class="tile-value num">{props.value}</div>
      {props.sub && <div class="tile-sub faint num">{props.sub}</div>}
    </div>
  );
}

/** The fleet at a glance: hosts up, attention, GPUs, VRAM, utilisation, models, requests. */
export function FleetTotals() {
  const t = fleet.totals.value;
  const queued = fleet.queued.value;
  const vram = t.vramTotal > 0 ? t.vramUsed / t.vramTotal : null;
  return (
    <section class="totals" aria-label="Fleet totals">
      <Tile
        label="Hosts up"
        value={`${t.up} / ${t.hosts}`}
        sub={t.hosts - t.up > 0 ? `${t.hosts - t.up} down or out of service` : "all answering"}
        class={t.up < t.hosts ? "warn" : ""}
      />
      <Tile
        label="Need attention"
        value={String(t.attention)}
        sub={t.attention > 0 ? "shown first" : "none"}
        class={t.attention > 0 ? "bad" : ""}
      />
      <Tile
        label="GPUs"
        value={String(t.gpus)}
        sub={`${percent(t.gpuUtilization)} busy on average`}
      />
      <div class="tile wide">
        <div class="tile-label">VRAM in use</div>
        <div class="tile-value num">
          {bytes(t.vramUsed)} <span class="faint">/ {bytes(t.vramTotal)}</span>
        </div>
        <Meter fraction={vram} warn={0.85} bad={0.95} />
      </div>
      <Tile label="Models loaded" value={String(t.loaded)} sub="copies across hosts" />
      <Tile
        label="In flight"
        value={String(t.inFlight)}
        sub={queued > 0 ? `${queued} queued` : "none queued"}
        class={queued > 0 ? "warn" : ""}
      />
    </section>
  );
}
