import assert from "node:assert/strict";
import type { HostMetrics } from "../shared/protocol.ts";
import { createHostSampler, readHostInfo, REDISCOVER_EVERY } from "./host.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`./testdata/host/${name}`, import.meta.url));
}

/**
 * Builds a fake sysfs tree under `root` from a description in the `grep .` shape that
 * testdata/host/README.md explains: `path:content`, `path -> target`, `path/`, `# comment`.
 */
async function buildSysfs(root: string, description: string): Promise<void> {
  for (const raw of description.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const arrow = line.indexOf(" -> ");
    if (arrow !== -1) {
      const path = root + line.slice(0, arrow);
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.symlink(line.slice(arrow + 4), path);
    } else if (line.endsWith("/")) {
      await Deno.mkdir(root + line, { recursive: true });
    } else {
      const colon = line.indexOf(":");
      const path = root + line.slice(0, colon);
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, line.slice(colon + 1) + "\n");
    }
  }
}

/** Writes whole files under `root`, making their directories. */
async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(root + path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(root + path, text);
  }
}

/** A fake root with the 16-CPU host's /proc files and the given sysfs description. */
async function fakeHost(sysfs: string): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "corral_host_" });
  await writeFiles(root, {
    "/proc/stat": fixture("proc_stat_16cpu_a.txt"),
    "/proc/meminfo": fixture("proc_meminfo.txt"),
    "/proc/loadavg": fixture("proc_loadavg.txt"),
    "/proc/uptime": fixture("proc_uptime.txt"),
  });
  await buildSysfs(root, sysfs);
  return root;
}

function assertSane(m: HostMetrics): void {
  assert.ok(m.cpuCount >= 1, `cpuCount ${m.cpuCount}`);
  assert.ok(m.memoryTotal > 0);
  assert.ok(m.memoryAvailable >= 0 && m.memoryAvailable <= m.memoryTotal);
  assert.ok(m.swapFree >= 0 && m.swapFree <= m.swapTotal);
  assert.equal(m.load.length, 3);
  for (const load of m.load) assert.ok(Number.isFinite(load) && load >= 0);
  assert.ok(m.uptimeSeconds > 0);
  for (const t of m.temperatures) {
    assert.ok(t.celsius > -40 && t.celsius < 150, `${t.label} at ${t.celsius} °C`);
  }
}

Deno.test("readHostInfo() reads this machine", async () => {
  const info = await readHostInfo();
  assert.equal(info.hostname, Deno.hostname());
  assert.ok(info.os.length > 0);
  assert.match(info.kernel, /^\d+\.\d+/);
  assert.equal(info.arch, Deno.build.arch);
  assert.ok(info.cpuModel === null || info.cpuModel.length > 0);
  assert.match(info.bootId, UUID);
});

Deno.test("createHostSampler() samples this machine", async () => {
  const sampler = createHostSampler({ disks: ["/"] });
  const first = await sampler.sample();
  assert.equal(first.cpuUtilization, null);
  assertSane(first);
  const [disk] = first.disks;
  assert.equal(first.disks.length, 1);
  assert.equal(disk!.path, "/");
  assert.ok(disk!.total > disk!.free && disk!.free > 0);
  assert.ok(disk!.used > 0 && disk!.used <= disk!.total);

  await new Promise((resolve) => setTimeout(resolve, 100));
  const second = await sampler.sample();
  assertSane(second);
  const utilization = second.cpuUtilization;
  assert.ok(utilization !== null && utilization >= 0 && utilization <= 100, `${utilization}`);
  assert.ok(second.uptimeSeconds > first.uptimeSeconds);
});

Deno.test("readHostInfo() reads a fake tree and falls back to /usr/lib/os-release", async () => {
  const root = await Deno.makeTempDir({ prefix: "corral_host_" });
  try {
    await writeFiles(root, {
      "/usr/lib/os-release": fixture("os_release_ubuntu2404.txt"),
      "/proc/sys/kernel/osrelease": "6.8.0-45-generic\n",
      "/proc/sys/kernel/random/boot_id": "0f6b5e0c-6a4e-4c4b-9d8f-3b1e2a7c9d10\n",
      "/proc/cpuinfo": fixture("proc_cpuinfo_arm64.txt"),
    });
    const info = await readHostInfo({ root });
    assert.deepEqual(info, {
      hostname: Deno.hostname(),
      os: "Ubuntu 24.04.1 LTS",
      kernel: "6.8.0-45-generic",
      arch: Deno.build.arch,
      cpuModel: "ARM Neoverse-N1",
      bootId: "0f6b5e0c-6a4e-4c4b-9d8f-3b1e2a7c9d10",
    });

    await writeFiles(root, { "/etc/os-release": fixture("os_release_rocky9.txt") });
    await Deno.remove(`${root}/proc/cpuinfo`);
    const rocky = await readHostInfo({ root: `${root}/` });
    assert.equal(rocky.os, "Rocky Linux 9.4 (Blue Onyx)");
    assert.equal(rocky.cpuModel, null);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readHostInfo() says Linux when there is no os-release, and fails without /proc", async () => {
  const root = await Deno.makeTempDir({ prefix: "corral_host_" });
  try {
    await assert.rejects(readHostInfo({ root }), Deno.errors.NotFound);
    await writeFiles(root, {
      "/proc/sys/kernel/osrelease": "5.14.0-427.el9.x86_64\n",
      "/proc/sys/kernel/random/boot_id": "9b2d7f5e-1c3a-4e8b-a6d4-2f0e8c7b5a31\n",
    });
    assert.equal((await readHostInfo({ root })).os, "Linux");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() reads /proc from a fake tree and measures CPU use between samples", async () => {
  const root = await fakeHost(fixture("sysfs_intel_desktop.txt"));
  try {
    const sampler = createHostSampler({ disks: [], root });
    const first = await sampler.sample();
    assert.deepEqual(first, {
      cpuUtilization: null,
      cpuCount: 16,
      load: [3.42, 2.87, 2.51],
      memoryTotal: 65775880 * 1024,
      memoryAvailable: 41234568 * 1024,
      swapTotal: 8388604 * 1024,
      swapFree: 8121340 * 1024,
      disks: [],
      temperatures: first.temperatures,
      uptimeSeconds: 263144.57,
    });
    await writeFiles(root, { "/proc/stat": fixture("proc_stat_16cpu_b.txt") });
    assert.equal((await sampler.sample()).cpuUtilization, 41.5625);
    await writeFiles(root, { "/proc/stat": fixture("proc_stat_16cpu_a.txt") });
    assert.equal((await sampler.sample()).cpuUtilization, null, "counters went backwards");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() reports an Intel desktop's package, drive and ACPI sensors", async () => {
  const root = await fakeHost(fixture("sysfs_intel_desktop.txt"));
  try {
    const { temperatures } = await createHostSampler({ disks: [], root }).sample();
    assert.deepEqual(temperatures, [
      { kind: "other", label: "acpitz/temp1", celsius: 27.8, source: "hwmon" },
      { kind: "other", label: "acpitz/temp2", celsius: 29.8, source: "hwmon" },
      { kind: "nvme", label: "nvme/Composite", celsius: 38.85, source: "hwmon" },
      { kind: "cpu", label: "coretemp/Package id 0", celsius: 42, source: "hwmon" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() reports an AMD desktop's Tctl, two drives and GPU", async () => {
  const root = await fakeHost(fixture("sysfs_amd_ryzen.txt"));
  try {
    const { temperatures } = await createHostSampler({ disks: [], root }).sample();
    assert.deepEqual(temperatures, [
      { kind: "nvme", label: "nvme0/Composite", celsius: 44.85, source: "hwmon" },
      { kind: "nvme", label: "nvme1/Composite", celsius: 36.85, source: "hwmon" },
      { kind: "cpu", label: "k10temp/Tctl", celsius: 51.375, source: "hwmon" },
      { kind: "gpu", label: "amdgpu/edge", celsius: 46, source: "hwmon" },
      { kind: "gpu", label: "amdgpu/junction", celsius: 48, source: "hwmon" },
      { kind: "gpu", label: "amdgpu/mem", celsius: 52, source: "hwmon" },
      { kind: "other", label: "nct6798/SYSTIN", celsius: 33, source: "hwmon" },
      { kind: "other", label: "nct6798/CPUTIN", celsius: 40.5, source: "hwmon" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() takes the CPU from thermal zones when hwmon has none", async () => {
  const root = await fakeHost(fixture("sysfs_server_zones.txt"));
  try {
    const { temperatures } = await createHostSampler({ disks: [], root }).sample();
    assert.deepEqual(temperatures, [
      { kind: "nvme", label: "nvme/Composite", celsius: 31.85, source: "hwmon" },
      { kind: "cpu", label: "thermal_zone0/x86_pkg_temp", celsius: 51, source: "thermal_zone" },
      { kind: "cpu", label: "thermal_zone1/x86_pkg_temp", celsius: 48, source: "thermal_zone" },
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() reports no temperatures without hwmon or thermal zones", async () => {
  const root = await fakeHost("");
  try {
    assert.deepEqual((await createHostSampler({ disks: [], root }).sample()).temperatures, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() follows sensors that vanish and appear", async () => {
  const root = await fakeHost(fixture("sysfs_intel_desktop.txt"));
  try {
    const sampler = createHostSampler({ disks: [], root });
    const labels = async () => (await sampler.sample()).temperatures.map((t) => t.label);
    assert.ok((await labels()).includes("nvme/Composite"));
    // The drive is unplugged: its reading goes at once, and the next sample rediscovers.
    await Deno.remove(`${root}/sys/class/hwmon/hwmon1`, { recursive: true });
    assert.deepEqual(await labels(), ["acpitz/temp1", "acpitz/temp2", "coretemp/Package id 0"]);
    assert.equal((await labels()).length, 3);
    // A new drive is noticed within REDISCOVER_EVERY samples.
    await buildSysfs(
      root,
      "/sys/class/hwmon/hwmon5/name:nvme\n/sys/class/hwmon/hwmon5/temp1_label:Composite\n" +
        "/sys/class/hwmon/hwmon5/temp1_input:35850\n",
    );
    let seen = 0;
    for (let i = 0; i < REDISCOVER_EVERY && seen === 0; i++) {
      seen = (await labels()).filter((l) => l === "nvme/Composite").length;
    }
    assert.equal(seen, 1);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() reports each configured disk in order and skips missing ones", async () => {
  const root = await fakeHost("");
  try {
    const missing = `${root}/not-mounted`;
    const sampler = createHostSampler({ disks: [root, missing, "/"], root, diskEveryMs: 0 });
    const { disks } = await sampler.sample();
    assert.deepEqual(disks.map((d) => d.path), [root, "/"]);
    for (const d of disks) {
      assert.ok(d.total > 0 && d.free >= 0 && d.free <= d.total && d.used <= d.total);
    }
    await Deno.mkdir(missing);
    assert.deepEqual((await sampler.sample()).disks.map((d) => d.path), [root, missing, "/"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("createHostSampler() fails when /proc cannot be read", async () => {
  const root = await Deno.makeTempDir({ prefix: "corral_host_" });
  try {
    await assert.rejects(createHostSampler({ disks: [], root }).sample(), Deno.errors.NotFound);
    await writeFiles(root, {
      "/proc/stat": "intr 1\n",
      "/proc/meminfo": fixture("proc_meminfo.txt"),
      "/proc/loadavg": fixture("proc_loadavg.txt"),
      "/proc/uptime": fixture("proc_uptime.txt"),
    });
    await assert.rejects(createHostSampler({ disks: [], root }).sample(), SyntaxError);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
