import assert from "node:assert/strict";
import { startTestSim, waitFor } from "../tests/_utils.ts";
import { createGpuReader, nvidiaSmiArgs, ROCM_SMI_ARGS } from "./gpu.ts";
import { NvidiaSmiStream } from "./gpu_parse.ts";

const GIB = 1024 ** 3;
const FIXTURES = new URL("./testdata/gpu/", import.meta.url).pathname;

/** A temp dir for fake tools and their logs, removed afterwards. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "corral_gpu_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes an executable `sh` script that logs its pid and arguments, then runs `body`. */
async function fakeTool(dir: string, name: string, body: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\necho $$ >> "${dir}/${name}.pids"\nprintf '%s\\n' "$@" > "${dir}/${name}.args"\n${body}\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

async function pids(dir: string, name: string): Promise<number[]> {
  try {
    const text = await Deno.readTextFile(`${dir}/${name}.pids`);
    return text.trim().split("\n").filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function isRunning(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** Writes the loop fixture's three blocks to files; returns shell that prints them over and over. */
async function loopBody(dir: string): Promise<string> {
  const text = await Deno.readTextFile(`${FIXTURES}nvidia_smi_loop_2x3090.csv`);
  const lines = text.trim().split("\n");
  for (let i = 0; i < 3; i++) {
    await Deno.writeTextFile(`${dir}/block${i}`, lines.slice(2 * i, 2 * i + 2).join("\n") + "\n");
  }
  return `while :; do for b in 0 1 2; do cat "${dir}/block$b"; sleep 0.02; done; done`;
}

/** A fake `nvidia-smi -lms` that prints the loop fixture's blocks until it is killed. */
async function loopingNvidiaSmi(dir: string): Promise<string> {
  return await fakeTool(dir, "nvidia-smi", await loopBody(dir));
}

Deno.test("createGpuReader() with nvidia keeps one nvidia-smi running and reads its newest block", async () => {
  await withDir(async (dir) => {
    const nvidiaSmi = await loopingNvidiaSmi(dir);
    await using reader = createGpuReader({
      source: "nvidia",
      intervalMs: 20,
      commands: { nvidiaSmi },
    });
    const first = await reader.read();
    assert.equal(first.source, "nvidia-smi");
    assert.equal(first.error, null);
    assert.deepEqual(first.gpus.map((g) => g.name), [
      "NVIDIA GeForce RTX 3090",
      "NVIDIA GeForce RTX 3090",
    ]);
    const seen = new Set<number | null>();
    await waitFor("every block of the loop", async () => {
      seen.add((await reader.read()).gpus[0]!.utilization);
      return seen.size === 3;
    });
    assert.deepEqual([...seen].sort((a, b) => a! - b!), [0, 12, 96]);
    assert.equal((await pids(dir, "nvidia-smi")).length, 1);
    const args = (await Deno.readTextFile(`${dir}/nvidia-smi.args`)).trim().split("\n");
    assert.deepEqual(args, nvidiaSmiArgs(20));
  });
});

Deno.test("createGpuReader().close() stops nvidia-smi and waits for it to exit", async () => {
  await withDir(async (dir) => {
    const nvidiaSmi = await loopingNvidiaSmi(dir);
    const reader = createGpuReader({ source: "nvidia", intervalMs: 20, commands: { nvidiaSmi } });
    assert.equal((await reader.read()).gpus.length, 2);
    const [pid] = await pids(dir, "nvidia-smi");
    assert.ok(await isRunning(pid!));
    await reader.close();
    assert.equal(await isRunning(pid!), false);
    assert.equal((await reader.read()).error, "The GPU reader is closed");
  });
});

Deno.test("createGpuReader() reports why nvidia-smi exited and restarts it with backoff", async () => {
  await withDir(async (dir) => {
    // nvidia-smi prints the driver failure on stdout and exits with code 9.
    const nvidiaSmi = await fakeTool(
      dir,
      "nvidia-smi",
      `cat "${FIXTURES}nvidia_smi_no_driver.txt"; exit 9`,
    );
    await using reader = createGpuReader({
      source: "nvidia",
      intervalMs: 1000,
      commands: { nvidiaSmi },
      restart: { minMs: 10, maxMs: 40 },
    });
    const report = await reader.read();
    assert.equal(report.source, "nvidia-smi");
    assert.deepEqual(report.gpus, []);
    assert.match(
      report.error!,
      /^nvidia-smi exited with code 9: NVIDIA-SMI has failed because it couldn't communicate/,
    );
    await waitFor("three starts", async () => (await pids(dir, "nvidia-smi")).length >= 3);
  });
});

Deno.test("createGpuReader() takes nvidia-smi's reason from stderr when it gives one", async () => {
  await withDir(async (dir) => {
    const nvidiaSmi = await fakeTool(
      dir,
      "nvidia-smi",
      `echo "Failed to initialize NVML: Driver/library version mismatch" >&2
echo "NVML library version: 535.161" >&2
exit 18`,
    );
    await using reader = createGpuReader({
      source: "nvidia",
      intervalMs: 1000,
      commands: { nvidiaSmi },
    });
    assert.deepEqual(await reader.read(), {
      source: "nvidia-smi",
      gpus: [],
      error:
        "nvidia-smi exited with code 18: Failed to initialize NVML: Driver/library version mismatch",
    });
  });
});

Deno.test("createGpuReader() recovers when a restarted nvidia-smi works", async () => {
  await withDir(async (dir) => {
    const nvidiaSmi = await fakeTool(
      dir,
      "flaky-nvidia-smi",
      `if [ ! -e "${dir}/failed-once" ]; then
  touch "${dir}/failed-once"
  cat "${FIXTURES}nvidia_smi_no_driver.txt"
  exit 9
fi
${await loopBody(dir)}`,
    );
    await using reader = createGpuReader({
      source: "nvidia",
      intervalMs: 20,
      commands: { nvidiaSmi },
      restart: { minMs: 10 },
    });
    assert.match((await reader.read()).error!, /code 9/);
    const report = await waitFor("a block after the restart", async () => {
      const r = await reader.read();
      return r.gpus.length === 2 && r;
    });
    assert.equal(report.error, null);
    assert.equal((await pids(dir, "flaky-nvidia-smi")).length, 2);
  });
});

Deno.test("createGpuReader() stops waiting for nvidia-smi's first block after firstSampleTimeoutMs", async () => {
  await withDir(async (dir) => {
    const nvidiaSmi = await fakeTool(dir, "nvidia-smi", "exec sleep 10");
    await using reader = createGpuReader({
      source: "nvidia",
      intervalMs: 1000,
      commands: { nvidiaSmi },
      firstSampleTimeoutMs: 50,
    });
    const started = performance.now();
    const report = await reader.read();
    assert.ok(performance.now() - started < 2000);
    assert.equal(report.error, "nvidia-smi printed no sample within 50 ms");
  });
});

Deno.test("createGpuReader() with nvidia reports a missing nvidia-smi as an error", async () => {
  await withDir(async (dir) => {
    await using reader = createGpuReader({
      source: "nvidia",
      intervalMs: 1000,
      commands: { nvidiaSmi: `${dir}/no-such-nvidia-smi` },
    });
    const report = await reader.read();
    assert.equal(report.source, "nvidia-smi");
    assert.match(report.error!, /^Cannot run .*no-such-nvidia-smi/);
  });
});

Deno.test("createGpuReader() with auto calls a host without GPU tools CPU-only, not an error", async () => {
  await withDir(async (dir) => {
    await using reader = createGpuReader({
      source: "auto",
      intervalMs: 1000,
      commands: { nvidiaSmi: `${dir}/nvidia-smi`, rocmSmi: `${dir}/rocm-smi` },
      sysfsRoot: dir,
    });
    assert.deepEqual(await reader.read(), { source: "none", gpus: [], error: null });
    assert.deepEqual(await reader.read(), { source: "none", gpus: [], error: null });
  });
});

Deno.test("createGpuReader() with auto picks rocm-smi when nvidia-smi is missing", async () => {
  await withDir(async (dir) => {
    const rocmSmi = await fakeTool(dir, "rocm-smi", `cat "${FIXTURES}rocm_smi_mi300x_x4.json"`);
    await using reader = createGpuReader({
      source: "auto",
      intervalMs: 1000,
      commands: { nvidiaSmi: `${dir}/nvidia-smi`, rocmSmi },
      sysfsRoot: dir,
    });
    const first = await reader.read();
    assert.equal(first.source, "rocm-smi");
    assert.equal(first.error, null);
    assert.equal(first.gpus.length, 4);
    assert.equal((await pids(dir, "rocm-smi")).length, 1, "the probe's run is the first read");
    assert.equal((await reader.read()).gpus.length, 4);
    assert.equal((await pids(dir, "rocm-smi")).length, 2);
    const args = (await Deno.readTextFile(`${dir}/rocm-smi.args`)).trim().split("\n");
    assert.deepEqual(args, ROCM_SMI_ARGS);
  });
});

Deno.test("createGpuReader() with rocm accepts JSON from a rocm-smi that exits non-zero", async () => {
  await withDir(async (dir) => {
    const rocmSmi = await fakeTool(
      dir,
      "rocm-smi",
      `cat "${FIXTURES}rocm_smi_rx7900xtx.json"; exit 2`,
    );
    await using reader = createGpuReader({
      source: "rocm",
      intervalMs: 1000,
      commands: { rocmSmi },
    });
    const report = await reader.read();
    assert.equal(report.error, null);
    assert.equal(report.gpus[0]!.memoryTotal, 25753026560);
  });
});

Deno.test("createGpuReader() with rocm reports rocm-smi's failure", async () => {
  await withDir(async (dir) => {
    const rocmSmi = await fakeTool(
      dir,
      "rocm-smi",
      `echo "ERROR:root:Driver not initialized (amdgpu not found in modules)" >&2; exit 1`,
    );
    await using reader = createGpuReader({
      source: "rocm",
      intervalMs: 1000,
      commands: { rocmSmi },
    });
    assert.deepEqual(await reader.read(), {
      source: "rocm-smi",
      gpus: [],
      error:
        "rocm-smi exited with code 1: ERROR:root:Driver not initialized (amdgpu not found in modules)",
    });
  });
});

/** A fake /sys with an Intel iGPU (card0) and an RX 7900 XTX (card1) with one connector. */
async function fakeSysfs(root: string): Promise<void> {
  const files: Record<string, string> = {
    "class/drm/card0/device/vendor": "0x8086\n",
    "class/drm/card1/device/vendor": "0x1002\n",
    "class/drm/card1/device/device": "0x744c\n",
    "class/drm/card1/device/mem_info_vram_total": "25753026560\n",
    "class/drm/card1/device/mem_info_vram_used": "1103101952\n",
    "class/drm/card1/device/gpu_busy_percent": "4\n",
    "class/drm/card1/device/hwmon/hwmon5/temp1_input": "43000\n",
    "class/drm/card1/device/hwmon/hwmon5/power1_average": "23000000\n",
    "class/drm/card1/device/hwmon/hwmon5/power1_cap": "327000000\n",
    "class/drm/card1-DP-1/status": "connected\n",
  };
  for (const [path, text] of Object.entries(files)) {
    const full = `${root}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}

Deno.test("createGpuReader() with auto falls back to amdgpu sysfs", async () => {
  await withDir(async (dir) => {
    await fakeSysfs(dir);
    await using reader = createGpuReader({
      source: "auto",
      intervalMs: 1000,
      commands: { nvidiaSmi: `${dir}/nvidia-smi`, rocmSmi: `${dir}/rocm-smi` },
      sysfsRoot: dir,
    });
    assert.deepEqual(await reader.read(), {
      source: "amdgpu-sysfs",
      error: null,
      gpus: [{
        index: 1,
        uuid: null,
        name: "AMD GPU 0x744c",
        vendor: "amd",
        memoryTotal: 25753026560,
        memoryUsed: 1103101952,
        utilization: 4,
        temperature: 43,
        powerDraw: 23,
        powerLimit: 327,
        mig: false,
      }],
    });
  });
});

Deno.test("createGpuReader() with amdgpu and no AMD card reports no GPUs and no error", async () => {
  await withDir(async (dir) => {
    await using reader = createGpuReader({ source: "amdgpu", intervalMs: 1000, sysfsRoot: dir });
    assert.deepEqual(await reader.read(), { source: "amdgpu-sysfs", gpus: [], error: null });
  });
});

Deno.test("createGpuReader() with simulator maps the simulator's GPUs", async () => {
  await using sim = startTestSim({ preset: "dual-3090" });
  await using reader = createGpuReader({
    source: "simulator",
    intervalMs: 1000,
    simulatorUrl: `${sim.url}/`,
  });
  const report = await reader.read();
  assert.equal(report.source, "simulator");
  assert.equal(report.error, null);
  assert.deepEqual(report.gpus.map((g) => [g.index, g.uuid, g.name, g.vendor, g.memoryTotal]), [
    [0, "SIM-0", "NVIDIA GeForce RTX 3090", "simulated", 24 * GIB],
    [1, "SIM-1", "NVIDIA GeForce RTX 3090", "simulated", 24 * GIB],
  ]);
  // Idle: nothing loaded, nothing generating; the simulator has no power figures.
  assert.deepEqual(
    report.gpus.map((g) => [g.memoryUsed, g.utilization, g.temperature, g.powerDraw, g.mig]),
    [[0, 0, 38, null, false], [0, 0, 38, null, false]],
  );
});

Deno.test("createGpuReader() with simulator reports an unreachable simulator as an error", async () => {
  const sim = startTestSim({ preset: "cpu" });
  const url = sim.url;
  await sim.close();
  await using reader = createGpuReader({
    source: "simulator",
    intervalMs: 1000,
    simulatorUrl: url,
  });
  const report = await reader.read();
  assert.equal(report.source, "simulator");
  assert.deepEqual(report.gpus, []);
  assert.match(report.error!, /^Cannot read http:\/\/127\.0\.0\.1:\d+\/_sim\/state: /);
});

Deno.test("createGpuReader() with none reports no GPUs", async () => {
  await using reader = createGpuReader({ source: "none", intervalMs: 1000 });
  assert.deepEqual(await reader.read(), { source: "none", gpus: [], error: null });
});

Deno.test("createGpuReader() refuses a bad intervalMs and a simulator without a URL", () => {
  assert.throws(
    () => createGpuReader({ source: "none", intervalMs: 0 }),
    new RangeError(
      "Cannot create a GPU reader as 'intervalMs' must be a positive integer: current value is 0",
    ),
  );
  assert.throws(() => createGpuReader({ source: "simulator", intervalMs: 1000 }), TypeError);
});

Deno.test("nvidiaSmiArgs() asks for the parser's fields in loop mode", () => {
  const args = nvidiaSmiArgs(500);
  assert.deepEqual(args.slice(1), ["--format=csv,noheader,nounits", "-lms", "500"]);
  const line = "0, 1, GPU-x, NVIDIA L4, 23034, 0, 0, 35, 16.32, 72.00, [N/A]\n";
  assert.equal(args[0]!.split("=")[1]!.split(",").length, line.split(",").length);
  assert.equal(new NvidiaSmiStream().push(line).length, 1);
});

Deno.test("createGpuReader() with rocm gives up on a rocm-smi that hangs", async () => {
  await withDir(async (dir) => {
    const rocmSmi = await fakeTool(dir, "rocm-smi", "exec sleep 10");
    await using reader = createGpuReader({
      source: "rocm",
      intervalMs: 1000,
      commands: { rocmSmi },
      timeoutMs: 50,
    });
    assert.deepEqual(await reader.read(), {
      source: "rocm-smi",
      gpus: [],
      error: "rocm-smi took longer than 50 ms",
    });
    const [pid] = await pids(dir, "rocm-smi");
    assert.equal(await isRunning(pid!), false);
  });
});

Deno.test("createGpuReader() with auto prefers nvidia-smi and never runs rocm-smi", async () => {
  await withDir(async (dir) => {
    const nvidiaSmi = await loopingNvidiaSmi(dir);
    const rocmSmi = await fakeTool(dir, "rocm-smi", `cat "${FIXTURES}rocm_smi_rx7900xtx.json"`);
    await using reader = createGpuReader({
      source: "auto",
      intervalMs: 20,
      commands: { nvidiaSmi, rocmSmi },
      sysfsRoot: dir,
    });
    const [a, b] = await Promise.all([reader.read(), reader.read()]);
    assert.equal(a.source, "nvidia-smi");
    assert.equal(b.gpus.length, 2);
    assert.equal((await pids(dir, "nvidia-smi")).length, 1);
    assert.deepEqual(await pids(dir, "rocm-smi"), []);
  });
});
