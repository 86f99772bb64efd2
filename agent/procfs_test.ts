import assert from "node:assert/strict";
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

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`./testdata/host/${name}`, import.meta.url));
}

function times(partial: Partial<CpuTimes>): CpuTimes {
  return {
    user: 0,
    nice: 0,
    system: 0,
    idle: 0,
    iowait: 0,
    irq: 0,
    softirq: 0,
    steal: 0,
    ...partial,
  };
}

Deno.test("parseProcStat() reads the aggregate cpu line and counts the cpuN lines", () => {
  const { cpu, cpuCount } = parseProcStat(fixture("proc_stat_16cpu_a.txt"));
  assert.equal(cpuCount, 16);
  assert.deepEqual(cpu, {
    user: 17698532,
    nice: 371527,
    system: 5267607,
    idle: 397191283,
    iowait: 235640,
    irq: 0,
    softirq: 224942,
    steal: 0,
  });
});

Deno.test("parseProcStat() accepts old kernels' shorter cpu lines", () => {
  const { cpu, cpuCount } = parseProcStat("cpu  10 20 30 40\ncpu0 10 20 30 40\nintr 1\n");
  assert.deepEqual(cpu, times({ user: 10, nice: 20, system: 30, idle: 40 }));
  assert.equal(cpuCount, 1);
});

Deno.test("parseProcStat() throws SyntaxError on malformed input", () => {
  assert.throws(() => parseProcStat("intr 1 2 3\n"), {
    name: "SyntaxError",
    message: `Cannot parse /proc/stat: no "cpu" line`,
  });
  assert.throws(() => parseProcStat(""), { message: `Cannot parse /proc/stat: no "cpu" line` });
  assert.throws(() => parseProcStat("cpu  1 2 3\ncpu0 1 2 3\n"), {
    message: `Cannot parse /proc/stat: "cpu" line has 3 fields`,
  });
  assert.throws(() => parseProcStat("cpu  1 2 x 4\ncpu0 1 2 3 4\n"), {
    message: `Cannot parse /proc/stat: "cpu" system is "x"`,
  });
  assert.throws(() => parseProcStat("cpu  1 2 3 4\nintr 5\n"), {
    message: `Cannot parse /proc/stat: no "cpuN" lines`,
  });
});

Deno.test("cpuUtilization() gives percent busy between two readings", () => {
  const a = parseProcStat(fixture("proc_stat_16cpu_a.txt")).cpu;
  const b = parseProcStat(fixture("proc_stat_16cpu_b.txt")).cpu;
  // 1600 ticks passed (16 CPUs × 1 s × USER_HZ 100), of which 665 were busy; guest is not re-added.
  assert.equal(cpuUtilization(a, b), 41.5625);
});

Deno.test("cpuUtilization() counts iowait as idle", () => {
  const prev = times({ user: 100, idle: 100 });
  assert.equal(cpuUtilization(prev, times({ user: 150, idle: 100, iowait: 50 })), 50);
  assert.equal(cpuUtilization(prev, times({ user: 100, idle: 150, iowait: 50 })), 0);
});

Deno.test("cpuUtilization() counts steal, irq and softirq as busy", () => {
  const prev = times({ idle: 100 });
  assert.equal(cpuUtilization(prev, times({ idle: 100, steal: 10, irq: 5, softirq: 5 })), 100);
});

Deno.test("cpuUtilization() returns null when no time passed or counters went backwards", () => {
  const a = times({ user: 100, idle: 100, iowait: 10 });
  assert.equal(cpuUtilization(a, a), null);
  assert.equal(cpuUtilization(a, times({ user: 90, idle: 200, iowait: 10 })), null);
  assert.equal(cpuUtilization(a, times({ user: 200, idle: 50, iowait: 10 })), null);
});

Deno.test("cpuUtilization() tolerates iowait alone going backwards", () => {
  // proc(5): iowait is unreliable and can decrease; the idle sum still moved forward here.
  const prev = times({ user: 100, idle: 100, iowait: 20 });
  assert.equal(cpuUtilization(prev, times({ user: 130, idle: 120, iowait: 10 })), 75);
});

Deno.test("parseMeminfo() converts kB to bytes", () => {
  assert.deepEqual(parseMeminfo(fixture("proc_meminfo.txt")), {
    memoryTotal: 65775880 * 1024,
    memoryAvailable: 41234568 * 1024,
    swapTotal: 8388604 * 1024,
    swapFree: 8121340 * 1024,
  });
});

Deno.test("parseMeminfo() estimates MemAvailable on kernels before 3.14", () => {
  assert.deepEqual(parseMeminfo(fixture("proc_meminfo_old.txt")), {
    memoryTotal: 16331060 * 1024,
    memoryAvailable: (1204876 + 345612 + 10234880) * 1024,
    swapTotal: 8191992 * 1024,
    swapFree: 8191992 * 1024,
  });
});

Deno.test("parseMeminfo() treats missing swap lines as no swap", () => {
  assert.deepEqual(parseMeminfo("MemTotal: 1000 kB\nMemFree: 600 kB\nMemAvailable: 700 kB\n"), {
    memoryTotal: 1024000,
    memoryAvailable: 716800,
    swapTotal: 0,
    swapFree: 0,
  });
});

Deno.test("parseMeminfo() throws SyntaxError on malformed input", () => {
  assert.throws(() => parseMeminfo("MemFree: 1 kB\n"), {
    name: "SyntaxError",
    message: "Cannot parse /proc/meminfo: no MemTotal line",
  });
  assert.throws(() => parseMeminfo("MemTotal: 10 kB\nSwapTotal: 0 kB\n"), {
    message: "Cannot parse /proc/meminfo: no MemFree line",
  });
  assert.throws(() => parseMeminfo("MemTotal: lots kB\n"), {
    message: `Cannot parse /proc/meminfo: MemTotal is "lots kB"`,
  });
});

Deno.test("parseLoadavg() reads the three load averages", () => {
  assert.deepEqual(parseLoadavg(fixture("proc_loadavg.txt")), [3.42, 2.87, 2.51]);
  assert.throws(() => parseLoadavg("0.5 0.2\n"), {
    name: "SyntaxError",
    message: `Cannot parse /proc/loadavg: "0.5 0.2"`,
  });
});

Deno.test("parseUptime() reads the seconds since boot", () => {
  assert.equal(parseUptime(fixture("proc_uptime.txt")), 263144.57);
  assert.throws(() => parseUptime(""), {
    name: "SyntaxError",
    message: `Cannot parse /proc/uptime: ""`,
  });
});

Deno.test("parseOsRelease() returns PRETTY_NAME from real distributions", () => {
  assert.equal(
    parseOsRelease(fixture("os_release_debian12.txt")),
    "Debian GNU/Linux 12 (bookworm)",
  );
  assert.equal(parseOsRelease(fixture("os_release_ubuntu2404.txt")), "Ubuntu 24.04.1 LTS");
  assert.equal(parseOsRelease(fixture("os_release_rocky9.txt")), "Rocky Linux 9.4 (Blue Onyx)");
});

Deno.test("parseOsRelease() unquotes values by os-release(5) shell rules", () => {
  assert.equal(parseOsRelease(`PRETTY_NAME='It'"'"'s \\"raw\\"'`), `It's \\"raw\\"`);
  assert.equal(
    parseOsRelease(`PRETTY_NAME="A \\"quoted\\" \\$name \\\\ \\n"`),
    `A "quoted" $name \\ \\n`,
  );
  assert.equal(parseOsRelease(`PRETTY_NAME=Plain\\ words`), "Plain words");
  assert.equal(parseOsRelease(`# comment\n\n  PRETTY_NAME="Spaced"  \n`), "Spaced");
});

Deno.test("parseOsRelease() falls back to NAME VERSION, then Linux", () => {
  assert.equal(parseOsRelease(`NAME="Arch Linux"\nVERSION="rolling"\n`), "Arch Linux rolling");
  assert.equal(parseOsRelease(`NAME=NixOS\n`), "NixOS");
  assert.equal(parseOsRelease(`PRETTY_NAME=""\nNAME=Gentoo\n`), "Gentoo");
  assert.equal(parseOsRelease(""), "Linux");
});

Deno.test("parseCpuModel() reads x86's model name", () => {
  assert.equal(
    parseCpuModel(fixture("proc_cpuinfo_x86.txt")),
    "AMD Ryzen 7 5800X 8-Core Processor",
  );
});

Deno.test("parseCpuModel() names arm64 CPUs from implementer and part", () => {
  assert.equal(parseCpuModel(fixture("proc_cpuinfo_arm64.txt")), "ARM Neoverse-N1");
  assert.equal(
    parseCpuModel("processor\t: 0\nCPU implementer\t: 0x51\nCPU part\t: 0x802\n"),
    "CPU implementer 0x51 part 0x802",
  );
});

Deno.test("parseCpuModel() prefers a Hardware line to part codes", () => {
  const cpuinfo = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd08\n\n" +
    "Hardware\t: BCM2835\nRevision\t: c03111\n";
  assert.equal(parseCpuModel(cpuinfo), "BCM2835");
});

Deno.test("parseCpuModel() returns null when the CPU is not named", () => {
  assert.equal(parseCpuModel("processor\t: 0\nBogoMIPS\t: 50.00\n"), null);
  assert.equal(parseCpuModel(""), null);
});
