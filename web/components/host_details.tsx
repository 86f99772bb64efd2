import type { ComponentChildren } from "preact";
import { attention } from "../fleet_model.ts";
import { bytes, dateTime, duration, percent } from "../format.ts";
import { fleet } from "../store.ts";
import { Modal } from "./modal.tsx";
import { StatusBadge } from "./status_badge.tsx";

function Fact(props: { label: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{props.label}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

/** Everything the hub knows about one host, in a dialog: machine, GPUs, disks, sensors, models. */
export function HostDetails(props: { id: string; onClose: () => void }) {
  const host = fleet.host(props.id)?.value;
  if (!host) {
    return (
      <Modal title="Host" onClose={props.onClose}>
        <p class="muted">This host has left the fleet.</p>
      </Modal>
    );
  }
  const s = host.snapshot;
  const reasons = attention(host).reasons;
  return (
    <Modal title={host.name} onClose={props.onClose} wide>
      <div class="row">
        <StatusBadge status={host.status} />
        <span class="muted">since {dateTime(host.since)}</span>
      </div>
      {reasons.length > 0 && (
        <ul class="reasons">
          {reasons.map((r) => <li key={r.text} class={r.level}>{r.text}</li>)}
        </ul>
      )}
      <dl class="facts">
        <Fact label="Address">
          <span class="mono">{host.url}</span>
        </Fact>
        <Fact label="Found by">{host.source}</Fact>
        {s && (
          <>
            <Fact label="Machine">{s.host.hostname} · {s.host.arch}</Fact>
            <Fact label="System">{s.host.os} · {s.host.kernel}</Fact>
            {s.host.cpuModel && <Fact label="CPU">{s.host.cpuModel}</Fact>}
            <Fact label="Agent">{s.agent.version} (port {s.agent.port})</Fact>
            <Fact label="Ollama">
              {s.ollama.reachable ? s.ollama.version ?? "?" : `unreachable: ${s.ollama.error}`} ·
              {" "}
              {s.ollama.slots} slots per model
            </Fact>
            <Fact label="Uptime">{duration(s.metrics.uptimeSeconds * 1000)}</Fact>
            <Fact label="Load">{s.metrics.load.map((l) => l.toFixed(2)).join(" · ")}</Fact>
            <Fact label="Swap">
              {bytes(s.metrics.swapTotal - s.metrics.swapFree)} / {bytes(s.metrics.swapTotal)}
            </Fact>
          </>
        )}
      </dl>
      {s && s.gpus.gpus.length > 0 && (
        <>
          <h3>GPUs ({s.gpus.source})</h3>
          <table class="table">
            <thead>
              <tr>
                <th>#</th>
                <th>Name</th>
                <th class="r">Busy</th>
                <th class="r">VRAM</th>
                <th class="r">Temp</th>
                <th class="r">Power</th>
              </tr>
            </thead>
            <tbody>
              {s.gpus.gpus.map((g) => (
                <tr key={g.index}>
                  <td class="num">{g.index}</td>
                  <td>{g.name}{g.mig ? " (MIG)" : ""}</td>
                  <td class="num r">{percent(g.utilization)}</td>
                  <td class="num r">{bytes(g.memoryUsed)} / {bytes(g.memoryTotal)}</td>
                  <td class="num r">
                    {g.temperature === null ? "–" : `${Math.round(g.temperature)} °C`}
                  </td>
                  <td class="num r">
                    {g.powerDraw === null ? "–" : `${Math.round(g.powerDraw)} W`}
                    {g.powerLimit ? ` / ${Math.round(g.powerLimit)} W` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {s && s.metrics.disks.length > 0 && (
        <>
          <h3>Disks</h3>
          <table class="table">
            <tbody>
              {s.metrics.disks.map((d) => (
                <tr key={d.path}>
                  <td class="mono">{d.path}</td>
                  <td class="num r">{bytes(d.used)} used</td>
                  <td class="num r">{bytes(d.free)} free</td>
                  <td class="num r">{percent(d.total ? (d.used / d.total) * 100 : null)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {s && s.metrics.temperatures.length > 0 && (
        <>
          <h3>Sensors</h3>
          <div class="sensors">
            {s.metrics.temperatures.map((t) => (
              <span key={t.label} class="badge" title={t.source}>
                {t.label} <b class="num">{Math.round(t.celsius)} °C</b>
              </span>
            ))}
          </div>
        </>
      )}
      {s && (
        <>
          <h3>Models on disk ({s.ollama.models.length})</h3>
          <table class="table">
            <tbody>
              {s.ollama.models.map((m) => (
                <tr key={m.name}>
                  <td class="mono">{m.name}</td>
                  <td class="muted">{[m.family, m.parameterSize, m.quantization].join(" · ")}</td>
                  <td class="num r">{bytes(m.size)}</td>
                  <td class="r">
                    {s.ollama.loaded.some((l) => l.name === m.name)
                      ? <span class="badge ok">loaded</span>
                      : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Modal>
  );
}
