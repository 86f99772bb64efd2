/**
 * The agent's Linux host sampling: the thin I/O edge over `procfs.ts` and `temperatures.ts`.
 * {@link readHostInfo} is read once at start; {@link createHostSampler} makes a sampler that reads
 * {@link HostMetrics} every second for the life of the agent, so each sample is kept cheap: the
 * few `/proc` files are read in parallel and parsed without regexes over the whole text, and the
 * sensor layout under `/sys/class/hwmon` and `/sys/class/thermal` (which chips, which files, their
 * labels) is discovered once and then re-checked every {@link REDISCOVER_EVERY} samples or as soon
 * as a sensor file disappears, so that a steady-state sample reads only the inputs it reports.
 *
 * Permissions: Deno 2.9 treats `/proc` and `/sys` as privileged, so reading any file there needs
 * `--allow-all` (a narrower `--allow-read` fails with `Requires all access to "/proc/stat"`). The
 * agent therefore runs with `--allow-all`, as do the tests. Disk space comes from `df` (`disk.ts`).
 *
 * @module
 */

import { createDiskReader } from "./disk.ts";
import type { HostInfo, HostMetrics, TemperatureSample } from "../shared/protocol.ts";
import {
  type CpuTimes,
  cpuUtilization,
  parseCpuModel,
  parseLoadavg,
  parseMeminfo,
  parseOsRelease,
  parseProcStat,
  parseUptime,
} from "./procfs.ts";
import {
  classifyHwmon,
  classifyThermalZones,
  type HwmonChip,
  isWantedHwmonSensor,
  mergeTemperatures,
  type ThermalZone,
} from "./temperatures.ts";

/** Samples between two discoveries of the sensor layout (hot-plugged drives, late GPU drivers). */
export const REDISCOVER_EVERY = 60;

/** Options for {@link readHostInfo}. */
export interface ReadHostInfoOptions {
  /**
   * The directory that stands for `/` when reading `/proc`, `/sys`, `/etc` and `/usr/lib`, so that
   * tests can point at a fake tree. The hostname still comes from `Deno.hostname()`.
   *
   * @default {"/"}
   */
  root?: string;
}

/** Options for {@link createHostSampler}. */
export interface HostSamplerOptions {
  /**
   * The paths whose filesystems are reported, each as its own {@link DiskSample} in this order, even
   * when several share a filesystem. A path that `df` cannot stat (missing, not mounted yet, no
   * permission) is left out of that sample silently: the protocol has no place for the error, and
   * the path comes back by itself once it exists. These are real paths; `root` does not apply.
   */
  disks: string[];
  /** Disk space is read at most this often, and reused in between. @default 10_000 */
  diskEveryMs?: number;
  /**
   * The directory that stands for `/` when reading `/proc` and `/sys`, so that tests can point at a
   * fake tree.
   *
   * @default {"/"}
   */
  root?: string;
}

/** Samples the host's resources; each call reports CPU use since the previous call. */
export interface HostSampler {
  /**
   * Reads the host's metrics now. Throws when `/proc` cannot be read or parsed; disks and
   * temperatures are best effort and never make it throw. Calls should not overlap, since each
   * measures CPU use since the one before.
   */
  sample(): Promise<HostMetrics>;
}

/** Reads what identifies the host: hostname, OS, kernel, architecture, CPU model and boot id. */
export async function readHostInfo(options: ReadHostInfoOptions = {}): Promise<HostInfo> {
  const { root = "/" } = options;
  const [os, kernel, cpuinfo, bootId] = await Promise.all([
    readOsRelease(root),
    Deno.readTextFile(under(root, "/proc/sys/kernel/osrelease")),
    Deno.readTextFile(under(root, "/proc/cpuinfo")).catch(() => null),
    Deno.readTextFile(under(root, "/proc/sys/kernel/random/boot_id")),
  ]);
  return {
    hostname: Deno.hostname(),
    os,
    kernel: kernel.trim(),
    arch: Deno.build.arch,
    cpuModel: cpuinfo === null ? null : parseCpuModel(cpuinfo),
    bootId: bootId.trim(),
  };
}

/** `/etc/os-release`, else `/usr/lib/os-release`, else `"Linux"` as os-release(5) says. */
async function readOsRelease(root: string): Promise<string> {
  for (const path of ["/etc/os-release", "/usr/lib/os-release"]) {
    try {
      return parseOsRelease(await Deno.readTextFile(under(root, path)));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return "Linux";
}

/** Creates a sampler that reads `/proc`, the configured disks and the temperature sensors. */
export function createHostSampler(options: HostSamplerOptions): HostSampler {
  const { disks, root = "/", diskEveryMs = 10_000 } = options;
  const paths = {
    stat: under(root, "/proc/stat"),
    meminfo: under(root, "/proc/meminfo"),
    loadavg: under(root, "/proc/loadavg"),
    uptime: under(root, "/proc/uptime"),
  };
  const sensors = createSensorReader(root);
  const diskReader = createDiskReader(disks, { everyMs: diskEveryMs });
  let previous: CpuTimes | null = null;

  return {
    async sample(): Promise<HostMetrics> {
      const [stat, meminfo, loadavg, uptime, diskSamples, temperatures] = await Promise.all([
        Deno.readTextFile(paths.stat),
        Deno.readTextFile(paths.meminfo),
        Deno.readTextFile(paths.loadavg),
        Deno.readTextFile(paths.uptime),
        diskReader.read(),
        sensors.read(),
      ]);
      const { cpu, cpuCount } = parseProcStat(stat);
      const utilization = previous === null ? null : cpuUtilization(previous, cpu);
      previous = cpu;
      return {
        cpuUtilization: utilization,
        cpuCount,
        load: parseLoadavg(loadavg),
        ...parseMeminfo(meminfo),
        disks: diskSamples,
        temperatures,
        uptimeSeconds: parseUptime(uptime),
      };
    },
  };
}

/** Where to read one hwmon chip's wanted sensors; found by discovery, read at every sample. */
interface ChipLayout {
  name: string;
  device: string | null;
  sensors: { id: string; label: string | null; path: string }[];
}

interface ZoneLayout {
  name: string;
  type: string;
  path: string;
}

interface SensorLayout {
  chips: ChipLayout[];
  zones: ZoneLayout[];
}

/** Reads temperatures against a cached sensor layout, rediscovering it now and then. */
function createSensorReader(root: string): { read(): Promise<TemperatureSample[]> } {
  const hwmonDir = under(root, "/sys/class/hwmon");
  const thermalDir = under(root, "/sys/class/thermal");
  let layout: SensorLayout | null = null;
  let samples = 0;

  return {
    async read(): Promise<TemperatureSample[]> {
      try {
        if (layout === null || samples % REDISCOVER_EVERY === 0) {
          const [chips, zones] = await Promise.all([
            discoverHwmon(hwmonDir),
            discoverThermalZones(thermalDir),
          ]);
          layout = { chips, zones };
        }
        const current = layout;
        samples++;
        let vanished = false;
        const readMilli = (path: string) =>
          readNumber(path, () => {
            vanished = true;
          });
        const chips: HwmonChip[] = await Promise.all(current.chips.map(async (chip) => {
          const inputs = await Promise.all(chip.sensors.map((s) => readMilli(s.path)));
          return {
            name: chip.name,
            device: chip.device,
            sensors: chip.sensors.flatMap((s, i) => {
              const input = inputs[i];
              return input === null || input === undefined
                ? []
                : [{ id: s.id, label: s.label, input }];
            }),
          };
        }));
        const hwmon = classifyHwmon(chips);
        let result = hwmon;
        if (!hwmon.some((s) => s.kind === "cpu") && current.zones.length > 0) {
          const temps = await Promise.all(current.zones.map((z) => readMilli(z.path)));
          const zones: ThermalZone[] = current.zones.flatMap((z, i) => {
            const temp = temps[i];
            return temp === null || temp === undefined
              ? []
              : [{ name: z.name, type: z.type, temp }];
          });
          result = mergeTemperatures(hwmon, classifyThermalZones(zones));
        }
        if (vanished) layout = null;
        return result;
      } catch {
        // Sensors are best effort: a sysfs surprise costs this sample its temperatures, no more.
        layout = null;
        return [];
      }
    },
  };
}

async function discoverHwmon(dir: string): Promise<ChipLayout[]> {
  const names = await listNumbered(dir, "hwmon");
  const chips = await Promise.all(names.map((name) => discoverChip(`${dir}/${name}`)));
  return chips.filter((c) => c !== null);
}

async function discoverChip(dir: string): Promise<ChipLayout | null> {
  // Kernels before 3.x, and a few drivers since, keep the attributes in the device directory.
  let base = dir;
  let name = await readTrimmed(`${dir}/name`);
  if (name === null) {
    base = `${dir}/device`;
    name = await readTrimmed(`${base}/name`);
    if (name === null) return null;
  }
  const [device, entries] = await Promise.all([
    Deno.readLink(`${dir}/device`).then((target) => basename(target), () => null),
    Array.fromAsync(Deno.readDir(base)),
  ]);
  const ids = entries
    .map((e) => /^(temp(\d+))_input$/.exec(e.name))
    .filter((m) => m !== null)
    .sort((a, b) => Number(a[2]) - Number(b[2]))
    .map((m) => m[1]!);
  const labels = await Promise.all(ids.map((id) => readTrimmed(`${base}/${id}_label`)));
  const chipName = name;
  const sensors = ids
    .map((id, i) => ({ id, label: labels[i] ?? null, path: `${base}/${id}_input` }))
    .filter((s) => isWantedHwmonSensor(chipName, s.label));
  return sensors.length === 0 ? null : { name, device, sensors };
}

async function discoverThermalZones(dir: string): Promise<ZoneLayout[]> {
  const names = await listNumbered(dir, "thermal_zone");
  const types = await Promise.all(names.map((name) => readTrimmed(`${dir}/${name}/type`)));
  return names.flatMap((name, i) => {
    const type = types[i];
    return type ? [{ name, type, path: `${dir}/${name}/temp` }] : [];
  });
}

/** Entries named `prefixN` in `dir`, in numeric order; none when `dir` does not exist. */
async function listNumbered(dir: string, prefix: string): Promise<string[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const number = (name: string) => Number(name.slice(prefix.length));
  return entries
    .map((e) => e.name)
    .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
    .sort((a, b) => number(a) - number(b));
}

async function readTrimmed(path: string): Promise<string | null> {
  try {
    return (await Deno.readTextFile(path)).trim();
  } catch {
    return null;
  }
}

/** Reads an integer sysfs value; `null` when unreadable (a sleeping GPU answers EIO or EAGAIN). */
async function readNumber(path: string, onVanished: () => void): Promise<number | null> {
  try {
    const text = (await Deno.readTextFile(path)).trim();
    const value = Number(text);
    return text === "" || !Number.isFinite(value) ? null : value;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) onVanished();
    return null;
  }
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

function under(root: string, path: string): string {
  return root === "/" ? path : root.replace(/\/+$/, "") + path;
}
