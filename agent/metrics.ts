/**
 * `GET /metrics`: the agent's state in the Prometheus text exposition format (version 0.0.4). Pure:
 * it renders a snapshot and counters handed to it.
 *
 * @module
 */

import type { PacketCounters } from "../shared/discovery.ts";
import type { AgentSnapshot } from "../shared/protocol.ts";

/** Counters kept by the agent's moving parts. */
export interface AgentCounters {
  /** Proxied requests by "`path` `status`". */
  proxied: Map<string, number>;
  /** Discovery packets. */
  packets: PacketCounters;
  /** Announcements sent. */
  announcements: number;
  /** Open state streams. */
  subscribers: number;
}

type Labels = Record<string, string | number>;

/** Escapes a label value: backslash, double quote and newline (exposition format rules). */
function escape(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

class Exposition {
  lines: string[] = [];

  metric(name: string, type: "gauge" | "counter", help: string, rows: [Labels, number | null][]) {
    const present = rows.filter(([, value]) => value !== null && Number.isFinite(value));
    if (present.length === 0) return;
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of present) {
      const entries = Object.entries(labels);
      const text = entries.length === 0
        ? ""
        : `{${entries.map(([k, v]) => `${k}="${escape(String(v))}"`).join(",")}}`;
      this.lines.push(`${name}${text} ${value}`);
    }
  }

  one(name: string, type: "gauge" | "counter", help: string, value: number | null) {
    this.metric(name, type, help, [[{}, value]]);
  }
}

/** Renders the agent's metrics. */
export function renderMetrics(snapshot: AgentSnapshot, counters: AgentCounters): string {
  const out = new Exposition();
  const { agent, host, metrics: m, gpus, ollama } = snapshot;
  out.metric("corral_agent_info", "gauge", "The agent's identity; always 1.", [[{
    id: agent.id,
    name: agent.name,
    version: agent.version,
    hostname: host.hostname,
    boot_id: host.bootId,
    kernel: host.kernel,
  }, 1]]);
  out.one(
    "corral_agent_start_time_seconds",
    "gauge",
    "When the agent started.",
    agent.startedAt / 1000,
  );
  out.one("corral_host_uptime_seconds", "gauge", "Host uptime.", m.uptimeSeconds);
  out.one(
    "corral_cpu_utilization_percent",
    "gauge",
    "CPU busy over the last interval.",
    m.cpuUtilization,
  );
  out.one("corral_cpu_count", "gauge", "Logical CPUs.", m.cpuCount);
  out.metric("corral_load_average", "gauge", "Load average.", [
    [{ window: "1m" }, m.load[0]],
    [{ window: "5m" }, m.load[1]],
    [{ window: "15m" }, m.load[2]],
  ]);
  out.one("corral_memory_total_bytes", "gauge", "Physical memory.", m.memoryTotal);
  out.one(
    "corral_memory_available_bytes",
    "gauge",
    "Memory available without swapping.",
    m.memoryAvailable,
  );
  out.one("corral_swap_total_bytes", "gauge", "Swap space.", m.swapTotal);
  out.one("corral_swap_free_bytes", "gauge", "Free swap space.", m.swapFree);
  out.metric(
    "corral_disk_total_bytes",
    "gauge",
    "Filesystem size.",
    m.disks.map((d) => [{ path: d.path }, d.total]),
  );
  out.metric(
    "corral_disk_free_bytes",
    "gauge",
    "Filesystem space free to users.",
    m.disks.map((d) => [{ path: d.path }, d.free]),
  );
  out.metric(
    "corral_temperature_celsius",
    "gauge",
    "Temperature sensors.",
    m.temperatures.map((t) => [{ kind: t.kind, sensor: t.label }, t.celsius]),
  );

  const gpu = (g: AgentSnapshot["gpus"]["gpus"][number]): Labels => ({
    index: g.index,
    uuid: g.uuid ?? "",
    name: g.name,
  });
  out.one("corral_gpu_count", "gauge", "GPUs found.", gpus.gpus.length);
  out.one("corral_gpu_error", "gauge", "1 when the GPU tool failed.", gpus.error ? 1 : 0);
  out.metric(
    "corral_gpu_memory_total_bytes",
    "gauge",
    "GPU memory.",
    gpus.gpus.map((g) => [gpu(g), g.memoryTotal]),
  );
  out.metric(
    "corral_gpu_memory_used_bytes",
    "gauge",
    "GPU memory in use.",
    gpus.gpus.map((g) => [gpu(g), g.memoryUsed]),
  );
  out.metric(
    "corral_gpu_utilization_percent",
    "gauge",
    "GPU busy.",
    gpus.gpus.map((g) => [gpu(g), g.utilization]),
  );
  out.metric(
    "corral_gpu_temperature_celsius",
    "gauge",
    "GPU temperature.",
    gpus.gpus.map((g) => [gpu(g), g.temperature]),
  );
  out.metric(
    "corral_gpu_power_watts",
    "gauge",
    "GPU power draw.",
    gpus.gpus.map((g) => [gpu(g), g.powerDraw]),
  );
  out.metric(
    "corral_gpu_power_limit_watts",
    "gauge",
    "GPU power limit.",
    gpus.gpus.map((g) => [gpu(g), g.powerLimit]),
  );

  out.one(
    "corral_ollama_up",
    "gauge",
    "1 when the local Ollama answers.",
    ollama.reachable ? 1 : 0,
  );
  out.one("corral_ollama_models", "gauge", "Models on disk.", ollama.models.length);
  out.one("corral_ollama_slots", "gauge", "Parallel slots per model.", ollama.slots);
  out.metric(
    "corral_ollama_loaded_bytes",
    "gauge",
    "Loaded models' memory.",
    ollama.loaded.map((l) => [{ model: l.name }, l.size]),
  );
  out.metric(
    "corral_ollama_loaded_vram_bytes",
    "gauge",
    "Loaded models' GPU memory.",
    ollama.loaded.map((l) => [{ model: l.name }, l.sizeVram]),
  );
  out.metric(
    "corral_in_flight_requests",
    "gauge",
    "Proxied requests now running.",
    Object.entries(snapshot.inFlight).map(([model, n]) => [{ model }, n]),
  );
  out.metric(
    "corral_proxied_requests_total",
    "counter",
    "Requests proxied to Ollama, by path and status.",
    [...counters.proxied].map(([key, n]) => {
      const [path = "", status = ""] = key.split(" ");
      return [{ path, status }, n];
    }),
  );
  const p = counters.packets;
  out.one(
    "corral_discovery_packets_received_total",
    "counter",
    "Discovery packets received.",
    p.received,
  );
  out.one(
    "corral_discovery_packets_accepted_total",
    "counter",
    "Discovery packets accepted.",
    p.accepted,
  );
  out.metric(
    "corral_discovery_packets_dropped_total",
    "counter",
    "Discovery packets dropped, by reason.",
    Object.entries(p.dropped).map(([reason, n]) => [{ reason }, n]),
  );
  out.one(
    "corral_announcements_sent_total",
    "counter",
    "Announcements sent.",
    counters.announcements,
  );
  out.one("corral_state_subscribers", "gauge", "Open state streams.", counters.subscribers);
  return `${out.lines.join("\n")}\n`;
}
