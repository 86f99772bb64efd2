import assert from "node:assert/strict";
import type { GpuSample } from "../shared/protocol.ts";
import {
  type AmdgpuSysfsCard,
  NVIDIA_QUERY,
  NvidiaSmiStream,
  parseAmdgpuSysfs,
  parseNvidiaSmiCsv,
  parseRocmSmiJson,
} from "./gpu_parse.ts";

const MIB = 1024 * 1024;

function fixture(name: string): string {
  return Deno.readTextFileSync(new URL(`./testdata/gpu/${name}`, import.meta.url));
}

Deno.test("NVIDIA_QUERY puts name between fixed fields and asks for count", () => {
  assert.ok(NVIDIA_QUERY.indexOf("name") > 0);
  assert.ok(NVIDIA_QUERY.indexOf("name") < NVIDIA_QUERY.length - 1);
  assert.ok(NVIDIA_QUERY.includes("count"));
  assert.ok(Object.isFrozen(NVIDIA_QUERY));
});

Deno.test("parseNvidiaSmiCsv() reads one RTX 4090 with memory in bytes", () => {
  assert.deepEqual(
    parseNvidiaSmiCsv(fixture("nvidia_smi_rtx4090.csv")),
    [{
      index: 0,
      uuid: "GPU-3f7c2a91-8d4e-b5a0-6c19-e2f48b07d3a5",
      name: "NVIDIA GeForce RTX 4090",
      vendor: "nvidia",
      memoryTotal: 24564 * MIB,
      memoryUsed: 6822 * MIB,
      utilization: 0,
      temperature: 38,
      powerDraw: 19.73,
      powerLimit: 450,
      mig: false,
    }] satisfies GpuSample[],
  );
});

Deno.test("parseNvidiaSmiCsv() reads real output of an H100 (driver 580.159.04)", () => {
  assert.deepEqual(
    parseNvidiaSmiCsv(fixture("nvidia_smi_h100_real.csv")),
    [{
      index: 0,
      uuid: "GPU-23b0920c-890f-ec8b-a70f-b6c399bde63e",
      name: "NVIDIA H100 80GB HBM3",
      vendor: "nvidia",
      memoryTotal: 81559 * MIB,
      memoryUsed: 0,
      utilization: 0,
      temperature: 50,
      powerDraw: 120,
      powerLimit: 700,
      mig: false,
    }] satisfies GpuSample[],
  );
});

Deno.test("parseNvidiaSmiCsv() reads several GPUs in index order", () => {
  const gpus = parseNvidiaSmiCsv(fixture("nvidia_smi_2x3090.csv"));
  assert.deepEqual(gpus.map((g) => g.index), [0, 1]);
  assert.deepEqual(gpus.map((g) => g.utilization), [97, 0]);
  assert.deepEqual(gpus.map((g) => g.memoryUsed), [21734 * MIB, 5 * MIB]);
  assert.equal(gpus[1]!.uuid, "GPU-c45e0b7f-92a6-3d18-f07b-5e6a1c2d8b94");
});

Deno.test("parseNvidiaSmiCsv() marks MIG GPUs and leaves their utilisation null", () => {
  const gpus = parseNvidiaSmiCsv(fixture("nvidia_smi_8xh100_mig.csv"));
  assert.equal(gpus.length, 8);
  assert.deepEqual(gpus.map((g) => g.mig), [false, false, false, false, true, true, true, true]);
  assert.deepEqual(gpus.slice(4).map((g) => g.utilization), [null, null, null, null]);
  assert.equal(gpus[4]!.memoryUsed, 30717 * MIB);
  assert.equal(gpus[7]!.memoryTotal, 81559 * MIB);
  assert.equal(gpus[0]!.powerLimit, 700);
});

Deno.test("parseNvidiaSmiCsv() turns [N/A] into null", () => {
  const [gpu] = parseNvidiaSmiCsv(fixture("nvidia_smi_laptop_4060.csv"));
  assert.equal(gpu!.powerLimit, null);
  assert.equal(gpu!.powerDraw, 31.26);
  assert.equal(gpu!.mig, false);
});

Deno.test("parseNvidiaSmiCsv() turns [Not Supported] into null", () => {
  const [gpu] = parseNvidiaSmiCsv(fixture("nvidia_smi_laptop_1050ti.csv"));
  assert.equal(gpu!.name, "NVIDIA GeForce GTX 1050 Ti with Max-Q Design");
  assert.equal(gpu!.powerDraw, null);
  assert.equal(gpu!.powerLimit, null);
  assert.equal(gpu!.utilization, 12);
});

Deno.test("parseNvidiaSmiCsv() turns [Unknown Error] and [Insufficient Permissions] into null", () => {
  const [gpu] = parseNvidiaSmiCsv(
    "0, 1, [Insufficient Permissions], NVIDIA A10, 23028, [Unknown Error], 7, [Unknown Error], " +
      "[Insufficient Permissions], 150.00, Disabled\n",
  );
  assert.equal(gpu!.uuid, null);
  assert.equal(gpu!.memoryUsed, null);
  assert.equal(gpu!.temperature, null);
  assert.equal(gpu!.powerDraw, null);
  assert.equal(gpu!.memoryTotal, 23028 * MIB);
});

Deno.test("parseNvidiaSmiCsv() ignores blank lines and CRLF line ends", () => {
  const text = "\r\n" + fixture("nvidia_smi_2x3090.csv").replaceAll("\n", "\r\n") + "\r\n\r\n";
  assert.deepEqual(parseNvidiaSmiCsv(text), parseNvidiaSmiCsv(fixture("nvidia_smi_2x3090.csv")));
  assert.deepEqual(parseNvidiaSmiCsv(""), []);
  assert.deepEqual(parseNvidiaSmiCsv("\n\n"), []);
});

Deno.test("parseNvidiaSmiCsv() keeps commas inside a GPU name", () => {
  const [gpu] = parseNvidiaSmiCsv(
    "3, 4, GPU-aa, NVIDIA RTX 6000 Ada, Rev. 2, Workstation, 49140, 120, 1, 30, 20.5, 300.00, [N/A]\n",
  );
  assert.equal(gpu!.name, "NVIDIA RTX 6000 Ada, Rev. 2, Workstation");
  assert.equal(gpu!.index, 3);
  assert.equal(gpu!.memoryTotal, 49140 * MIB);
  assert.equal(gpu!.powerLimit, 300);
});

Deno.test("parseNvidiaSmiCsv() throws a SyntaxError naming the line of a malformed line", async (t) => {
  const good = fixture("nvidia_smi_rtx4090.csv");
  await t.step("too few fields", () => {
    assert.throws(
      () => parseNvidiaSmiCsv(good + "\n" + fixture("nvidia_smi_no_driver.txt")),
      (e) =>
        e instanceof SyntaxError && /line 3/.test(e.message) &&
        /found 1 of 11 fields/.test(e.message),
    );
  });
  await t.step("a number field that is not a number", () => {
    assert.throws(
      () => parseNvidiaSmiCsv(good + good.replace("24564", "lots")),
      (e) =>
        e instanceof SyntaxError && /line 2/.test(e.message) &&
        /memory\.total is "lots"/.test(e.message),
    );
  });
  await t.step("an index that is not an integer", () => {
    assert.throws(
      () => parseNvidiaSmiCsv(good.replace(/^0/, "[N/A]")),
      (e) => e instanceof SyntaxError && /line 1: index is "\[N\/A\]"/.test(e.message),
    );
  });
});

function blocksOf(text: string): GpuSample[][] {
  const stream = new NvidiaSmiStream();
  return [...stream.push(text), ...stream.end()];
}

Deno.test("NvidiaSmiStream splits loop output into one block per interval", () => {
  const blocks = blocksOf(fixture("nvidia_smi_loop_2x3090.csv"));
  assert.equal(blocks.length, 3);
  assert.deepEqual(blocks.map((b) => b.map((g) => g.index)), [[0, 1], [0, 1], [0, 1]]);
  assert.deepEqual(blocks.map((b) => b[0]!.utilization), [0, 12, 96]);
});

Deno.test("NvidiaSmiStream splits real one-GPU loop output into one block per line", () => {
  const blocks = blocksOf(fixture("nvidia_smi_loop_h100_real.csv"));
  assert.equal(blocks.length, 4);
  assert.deepEqual(blocks.map((b) => b.map((g) => g.index)), [[0], [0], [0], [0]]);
  assert.deepEqual(blocks.map((b) => b[0]!.powerDraw), [117.76, 77.31, 76.57, 76.57]);
});

Deno.test("NvidiaSmiStream emits a block as soon as its last GPU's line arrives", () => {
  const lines = fixture("nvidia_smi_loop_2x3090.csv").split("\n");
  const stream = new NvidiaSmiStream();
  assert.deepEqual(stream.push(lines[0]! + "\n"), []);
  const [first] = stream.push(lines[1]! + "\n");
  assert.deepEqual(first!.map((g) => g.index), [0, 1]);
  const single = fixture("nvidia_smi_rtx4090.csv");
  assert.equal(new NvidiaSmiStream().push(single).length, 1);
});

Deno.test("NvidiaSmiStream joins lines split across chunks at any byte", () => {
  const text = fixture("nvidia_smi_loop_2x3090.csv");
  const stream = new NvidiaSmiStream();
  const blocks: GpuSample[][] = [];
  for (let i = 0; i < text.length; i += 7) blocks.push(...stream.push(text.slice(i, i + 7)));
  assert.deepEqual(blocks, blocksOf(text));
});

Deno.test("NvidiaSmiStream ends a short block when the index goes back", () => {
  // GPU 1 of 2 stopped answering: its line is an error, so the block is short.
  const [a, b] = fixture("nvidia_smi_2x3090.csv").split("\n");
  const lost = "Unable to determine the device handle for GPU 0000:41:00.0: Unknown Error";
  const stream = new NvidiaSmiStream();
  const blocks = stream.push([a, lost, a, b, ""].join("\n"));
  assert.deepEqual(blocks.map((block) => block.map((g) => g.index)), [[0], [0, 1]]);
  assert.equal(stream.rejected, lost);
});

Deno.test("NvidiaSmiStream keeps the driver's error line in rejected", () => {
  const stream = new NvidiaSmiStream();
  assert.deepEqual(stream.push(fixture("nvidia_smi_no_driver.txt")), []);
  assert.deepEqual(stream.end(), []);
  assert.match(stream.rejected!, /^NVIDIA-SMI has failed because it couldn't communicate/);
});

Deno.test("NvidiaSmiStream.end() returns the block in progress and a last unterminated line", () => {
  const [a, b] = fixture("nvidia_smi_8xh100_mig.csv").split("\n");
  const stream = new NvidiaSmiStream();
  assert.deepEqual(stream.push(`${a}\n${b}`), []);
  assert.deepEqual(stream.end().map((block) => block.map((g) => g.index)), [[0, 1]]);
});

Deno.test("parseRocmSmiJson() reads an RX 7900 XTX with ROCm 6.1 key names", () => {
  assert.deepEqual(
    parseRocmSmiJson(fixture("rocm_smi_rx7900xtx.json")),
    [{
      index: 0,
      uuid: null,
      name: "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]",
      vendor: "amd",
      memoryTotal: 25753026560,
      memoryUsed: 13971484672,
      utilization: 31,
      temperature: 47,
      powerDraw: 88,
      powerLimit: 327,
      mig: false,
    }] satisfies GpuSample[],
  );
});

Deno.test("parseRocmSmiJson() turns N/A and N/A (Secondary die) into null", () => {
  const gpus = parseRocmSmiJson(fixture("rocm_smi_mi250x_x2.json"));
  assert.deepEqual(gpus.map((g) => g.name), [
    "Aldebaran/MI200 [Instinct MI250X/MI250]",
    "Aldebaran/MI200 [Instinct MI250X/MI250]",
  ]);
  assert.deepEqual(gpus.map((g) => g.powerDraw), [237, null]);
  assert.deepEqual(gpus.map((g) => g.powerLimit), [500, null]);
  assert.deepEqual(gpus.map((g) => g.uuid), ["0x9a3f1c0b6d2e4875", "0x5e07d2a9c41b3f86"]);
});

Deno.test("parseRocmSmiJson() prefers the edge sensor and falls back to junction", () => {
  const mi250 = parseRocmSmiJson(fixture("rocm_smi_mi250x_x2.json"));
  assert.deepEqual(mi250.map((g) => g.temperature), [39, 47]);
  const mi300 = parseRocmSmiJson(fixture("rocm_smi_mi300x_x4.json"));
  assert.deepEqual(mi300.map((g) => g.temperature), [41, 44, 39, 52]);
});

Deno.test("parseRocmSmiJson() skips the system entry and sorts cards by number", () => {
  const data = JSON.parse(fixture("rocm_smi_mi300x_x4.json"));
  const reordered = {
    system: data.system,
    card3: data.card3,
    card1: data.card1,
    card0: data.card0,
  };
  const gpus = parseRocmSmiJson(JSON.stringify(reordered));
  assert.deepEqual(gpus.map((g) => g.index), [0, 1, 3]);
  const all = parseRocmSmiJson(fixture("rocm_smi_mi300x_x4.json"));
  assert.equal(all.length, 4);
  assert.deepEqual(all.map((g) => g.powerDraw), [182, 176, 171, 409]);
  assert.equal(all[3]!.memoryTotal, 205822885888);
  assert.equal(all[3]!.name, "AMD Instinct MI300X OAM");
});

Deno.test("parseRocmSmiJson() accepts numbers as well as strings", () => {
  const [gpu] = parseRocmSmiJson(JSON.stringify({
    card2: { "GPU use (%)": 88, "VRAM Total Memory (B)": 1024, "Card model": "Instinct MI300X" },
  }));
  assert.equal(gpu!.index, 2);
  assert.equal(gpu!.utilization, 88);
  assert.equal(gpu!.memoryTotal, 1024);
  assert.equal(gpu!.name, "Instinct MI300X");
  assert.equal(gpu!.memoryUsed, null);
});

Deno.test("parseRocmSmiJson() skips warnings printed before the JSON", () => {
  const text = "WARNING: AMD GPU device(s) is/are in a low-power state. Check power control/" +
    "runtime_status\n\n" + fixture("rocm_smi_rx7900xtx.json");
  assert.equal(parseRocmSmiJson(text).length, 1);
});

Deno.test("parseRocmSmiJson() throws a SyntaxError when there is no JSON object", () => {
  assert.throws(() => parseRocmSmiJson("WARNING: No JSON data to report\n"), SyntaxError);
  assert.throws(() => parseRocmSmiJson('{"card0": {'), SyntaxError);
  assert.throws(() => parseRocmSmiJson(""), SyntaxError);
});

const XTX: AmdgpuSysfsCard = {
  card: 1,
  vendor: "0x1002\n",
  device: "0x744c\n",
  memInfoVramTotal: "25753026560\n",
  memInfoVramUsed: "13971484672\n",
  gpuBusyPercent: "31\n",
  hwmon: {
    temp1Input: "47000\n",
    temp2Input: "63000\n",
    power1Input: "88000000\n",
    power1Cap: "327000000\n",
  },
};

Deno.test("parseAmdgpuSysfs() converts millidegrees and microwatts and keeps only AMD cards", () => {
  const intel: AmdgpuSysfsCard = { card: 0, vendor: "0x8086\n" };
  assert.deepEqual(
    parseAmdgpuSysfs([XTX, intel]),
    [{
      index: 1,
      uuid: null,
      name: "AMD GPU 0x744c",
      vendor: "amd",
      memoryTotal: 25753026560,
      memoryUsed: 13971484672,
      utilization: 31,
      temperature: 47,
      powerDraw: 88,
      powerLimit: 327,
      mig: false,
    }] satisfies GpuSample[],
  );
});

Deno.test("parseAmdgpuSysfs() prefers power1_average and product_name when present", () => {
  const [gpu] = parseAmdgpuSysfs([{
    ...XTX,
    productName: "AMD Instinct MI210\n",
    uniqueId: "c4f9e1a0b27d3865\n",
    hwmon: { ...XTX.hwmon, power1Average: "41000000\n", temp1Input: undefined },
  }]);
  assert.equal(gpu!.name, "AMD Instinct MI210");
  assert.equal(gpu!.uuid, "c4f9e1a0b27d3865");
  assert.equal(gpu!.powerDraw, 41);
  assert.equal(gpu!.temperature, 63);
});

Deno.test("parseAmdgpuSysfs() leaves missing files null", () => {
  const [gpu] = parseAmdgpuSysfs([{ card: 0, vendor: "0x1002" }]);
  assert.deepEqual(gpu, {
    index: 0,
    uuid: null,
    name: "AMD GPU 0",
    vendor: "amd",
    memoryTotal: null,
    memoryUsed: null,
    utilization: null,
    temperature: null,
    powerDraw: null,
    powerLimit: null,
    mig: false,
  });
});
