/**
 * Pure classification of Linux temperature sensors into the protocol's {@link TemperatureSample}s.
 * `host.ts` reads the sysfs files into plain data (see the Linux hwmon sysfs interface,
 * Documentation/hwmon/sysfs-interface.rst, and Documentation/driver-api/thermal/sysfs-api.rst);
 * everything that decides what a sensor means lives here.
 *
 * What is kept, so that a host reports a handful of meaningful sensors rather than dozens:
 * - CPU package: `coretemp` "Package id N"; `k10temp` "Tdie" when present, else "Tctl" (Tctl may
 *   carry an offset on some Ryzen parts; Tdie is the true die temperature); `zenpower` likewise;
 *   label-less `cpu_thermal` and similar ARM chips. Per-core ("Core N") and per-CCD ("TccdN")
 *   sensors are dropped.
 * - NVMe: "Composite" only (the drive's own summary); "Sensor N" are dropped.
 * - GPUs (`amdgpu`, `radeon`, `nouveau`, `xe`): every sensor, kind `gpu`.
 * - Anything else: kind `other`.
 * - Readings at or below -40 °C, at or above 150 °C, or exactly 0 (what absent sensors often read)
 *   are discarded as nonsense.
 *
 * Labels are `chip/label`, with `tempN` for a sensor without a label. When two sensors would get the
 * same label (two NVMe drives both say `nvme/Composite`), the chip part becomes the hwmon device's
 * name when it starts with the chip name (`nvme0/Composite`, `nvme1/Composite`), else
 * `chip@device` (`amdgpu@0000:03:00.0/edge`), else `chipN` by order. Device names are used rather
 * than hwmon numbers because hwmon numbers change between boots and the label is a series key.
 *
 * @module
 */

import type { TemperatureSample } from "../shared/protocol.ts";

/** One temperature sensor of a hwmon chip, as read from `tempN_label` and `tempN_input`. */
export interface HwmonSensor {
  /** The attribute prefix, e.g. `temp1`; the label when the chip gives none. */
  id: string;
  /** `tempN_label`, or `null` when the chip has no label file for it. */
  label: string | null;
  /** `tempN_input`, in millidegrees Celsius. */
  input: number;
}

/** One `/sys/class/hwmon/hwmonN` directory, as plain data. */
export interface HwmonChip {
  /** The `name` file, e.g. `coretemp`, `k10temp`, `nvme`, `amdgpu`. */
  name: string;
  /** The last part of the `device` link's target (`nvme0`, `0000:03:00.0`), when there is one. */
  device?: string | null;
  sensors: HwmonSensor[];
}

/** One `/sys/class/thermal/thermal_zoneN` directory, as plain data. */
export interface ThermalZone {
  /** The directory name, e.g. `thermal_zone0`. */
  name: string;
  /** The `type` file, e.g. `x86_pkg_temp`, `acpitz`, `cpu-thermal`. */
  type: string;
  /** The `temp` file, in millidegrees Celsius. */
  temp: number;
}

const CPU_CHIPS = new Set(["coretemp", "k10temp", "zenpower", "k8temp", "via_cputemp"]);
const ARM_CPU_CHIPS = new Set(["cpu_thermal", "cpu-thermal", "soc_thermal", "scpi_sensors"]);
const GPU_CHIPS = new Set(["amdgpu", "radeon", "nouveau", "xe", "i915"]);

/**
 * Tells whether {@link classifyHwmon} can keep a sensor, judged by chip name and label alone, so
 * that the sampler need not read the inputs of sensors that would be dropped anyway.
 */
export function isWantedHwmonSensor(chip: string, label: string | null): boolean {
  switch (chip) {
    case "coretemp":
      return label === null || label.startsWith("Package id");
    case "k10temp":
    case "zenpower":
      return label === null || label === "Tctl" || label === "Tdie";
    case "nvme":
      return label === null || label === "Composite";
    default:
      return true;
  }
}

/** Turns hwmon chips into temperature samples: CPU package, NVMe composite, GPU and other. */
export function classifyHwmon(chips: readonly HwmonChip[]): TemperatureSample[] {
  const found: { chip: HwmonChip; label: string; sample: TemperatureSample }[] = [];
  for (const chip of chips) {
    const kind = chipKind(chip.name);
    const hasTdie = chip.sensors.some((s) => s.label === "Tdie" && sane(s.input));
    for (const sensor of chip.sensors) {
      if (!isWantedHwmonSensor(chip.name, sensor.label) || !sane(sensor.input)) continue;
      if (sensor.label === "Tctl" && hasTdie) continue;
      const label = sensor.label ?? sensor.id;
      found.push({
        chip,
        label,
        sample: {
          kind,
          label: `${chip.name}/${label}`,
          celsius: sensor.input / 1000,
          source: "hwmon",
        },
      });
    }
  }
  disambiguate(found);
  return found.map((f) => f.sample);
}

function chipKind(name: string): TemperatureSample["kind"] {
  if (CPU_CHIPS.has(name) || ARM_CPU_CHIPS.has(name)) return "cpu";
  if (name === "nvme") return "nvme";
  if (GPU_CHIPS.has(name)) return "gpu";
  return "other";
}

/** Renames the chip part of labels that collide; see the module doc for the rule. */
function disambiguate(found: { chip: HwmonChip; label: string; sample: TemperatureSample }[]) {
  const count = new Map<string, number>();
  for (const f of found) count.set(f.sample.label, (count.get(f.sample.label) ?? 0) + 1);
  const ordinal = new Map<string, number>();
  const chipOrdinal = new Map<HwmonChip, number>();
  for (const f of found) {
    if (count.get(f.sample.label)! < 2) continue;
    const { name, device } = f.chip;
    let prefix: string;
    if (device && device.startsWith(name)) prefix = device;
    else if (device) prefix = `${name}@${device}`;
    else {
      let n = chipOrdinal.get(f.chip);
      if (n === undefined) {
        n = ordinal.get(name) ?? 0;
        ordinal.set(name, n + 1);
        chipOrdinal.set(f.chip, n);
      }
      prefix = `${name}${n}`;
    }
    f.sample.label = `${prefix}/${f.label}`;
  }
}

/** Turns thermal zones into temperature samples, for hosts whose hwmon gives no CPU temperature. */
export function classifyThermalZones(zones: readonly ThermalZone[]): TemperatureSample[] {
  const samples: TemperatureSample[] = [];
  for (const zone of zones) {
    if (!sane(zone.temp)) continue;
    samples.push({
      kind: zoneKind(zone.type),
      label: `${zone.name}/${zone.type}`,
      celsius: zone.temp / 1000,
      source: "thermal_zone",
    });
  }
  return samples;
}

function zoneKind(type: string): TemperatureSample["kind"] {
  const t = type.toLowerCase();
  // x86_pkg_temp (Intel package), cpu-thermal / cpu_thermal (Raspberry Pi, many ARM SoCs),
  // soc_thermal (Rockchip), CPU-therm (Jetson), cpu0-thermal and the like.
  if (t === "x86_pkg_temp" || t.startsWith("cpu") || t.startsWith("soc")) return "cpu";
  if (t.startsWith("gpu")) return "gpu";
  if (t.startsWith("nvme")) return "nvme";
  return "other";
}

/**
 * Combines hwmon and thermal-zone samples: hwmon wins; the zones add their CPU sensors when hwmon
 * has none, and everything they have when hwmon found nothing at all.
 */
export function mergeTemperatures(
  hwmon: readonly TemperatureSample[],
  zones: readonly TemperatureSample[],
): TemperatureSample[] {
  if (hwmon.length === 0) return [...zones];
  if (hwmon.some((s) => s.kind === "cpu")) return [...hwmon];
  return [...hwmon, ...zones.filter((s) => s.kind === "cpu")];
}

/** Whether a millidegree reading is plausible; 0 is what many absent or unwired sensors report. */
function sane(millidegrees: number): boolean {
  return Number.isFinite(millidegrees) && millidegrees > -40_000 && millidegrees < 150_000 &&
    millidegrees !== 0;
}
