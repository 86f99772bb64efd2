import assert from "node:assert/strict";
import type { TemperatureSample } from "../shared/protocol.ts";
import {
  classifyHwmon,
  classifyThermalZones,
  type HwmonChip,
  isWantedHwmonSensor,
  mergeTemperatures,
} from "./temperatures.ts";

function hwmon(kind: TemperatureSample["kind"], label: string, celsius: number): TemperatureSample {
  return { kind, label, celsius, source: "hwmon" };
}

function zone(kind: TemperatureSample["kind"], label: string, celsius: number): TemperatureSample {
  return { kind, label, celsius, source: "thermal_zone" };
}

Deno.test("classifyHwmon() keeps the coretemp package and drops per-core sensors", () => {
  const chips: HwmonChip[] = [{
    name: "coretemp",
    device: "coretemp.0",
    sensors: [
      { id: "temp1", label: "Package id 0", input: 42000 },
      { id: "temp2", label: "Core 0", input: 40000 },
      { id: "temp6", label: "Core 4", input: 38000 },
    ],
  }];
  assert.deepEqual(classifyHwmon(chips), [hwmon("cpu", "coretemp/Package id 0", 42)]);
});

Deno.test("classifyHwmon() keeps each socket's package on a two-socket coretemp host", () => {
  const chips: HwmonChip[] = [
    {
      name: "coretemp",
      device: "coretemp.0",
      sensors: [{ id: "temp1", label: "Package id 0", input: 51000 }],
    },
    {
      name: "coretemp",
      device: "coretemp.1",
      sensors: [{ id: "temp1", label: "Package id 1", input: 48000 }],
    },
  ];
  assert.deepEqual(classifyHwmon(chips), [
    hwmon("cpu", "coretemp/Package id 0", 51),
    hwmon("cpu", "coretemp/Package id 1", 48),
  ]);
});

Deno.test("classifyHwmon() takes k10temp Tctl and drops the per-CCD sensors", () => {
  const chips: HwmonChip[] = [{
    name: "k10temp",
    sensors: [
      { id: "temp1", label: "Tctl", input: 51375 },
      { id: "temp3", label: "Tccd1", input: 47250 },
    ],
  }];
  assert.deepEqual(classifyHwmon(chips), [hwmon("cpu", "k10temp/Tctl", 51.375)]);
});

Deno.test("classifyHwmon() prefers Tdie to Tctl, which may carry an offset", () => {
  const chips: HwmonChip[] = [{
    name: "k10temp",
    sensors: [
      { id: "temp1", label: "Tctl", input: 72000 },
      { id: "temp2", label: "Tdie", input: 52000 },
    ],
  }];
  assert.deepEqual(classifyHwmon(chips), [hwmon("cpu", "k10temp/Tdie", 52)]);
  const zenpower: HwmonChip[] = [{
    name: "zenpower",
    sensors: [
      { id: "temp1", label: "Tdie", input: 50000 },
      { id: "temp2", label: "Tctl", input: 50000 },
      { id: "temp3", label: "Tccd1", input: 45000 },
    ],
  }];
  assert.deepEqual(classifyHwmon(zenpower), [hwmon("cpu", "zenpower/Tdie", 50)]);
});

Deno.test("classifyHwmon() falls back to Tctl when Tdie reads nonsense", () => {
  const chips: HwmonChip[] = [{
    name: "k10temp",
    sensors: [
      { id: "temp1", label: "Tctl", input: 60000 },
      { id: "temp2", label: "Tdie", input: 0 },
    ],
  }];
  assert.deepEqual(classifyHwmon(chips), [hwmon("cpu", "k10temp/Tctl", 60)]);
});

Deno.test("classifyHwmon() names label-less sensors by their attribute", () => {
  const chips: HwmonChip[] = [
    { name: "cpu_thermal", sensors: [{ id: "temp1", label: null, input: 48312 }] },
    { name: "acpitz", sensors: [{ id: "temp1", label: null, input: 27800 }] },
  ];
  assert.deepEqual(classifyHwmon(chips), [
    hwmon("cpu", "cpu_thermal/temp1", 48.312),
    hwmon("other", "acpitz/temp1", 27.8),
  ]);
});

Deno.test("classifyHwmon() keeps only an NVMe drive's composite sensor", () => {
  const chips: HwmonChip[] = [{
    name: "nvme",
    device: "nvme0",
    sensors: [
      { id: "temp1", label: "Composite", input: 38850 },
      { id: "temp2", label: "Sensor 1", input: 38850 },
    ],
  }];
  assert.deepEqual(classifyHwmon(chips), [hwmon("nvme", "nvme/Composite", 38.85)]);
});

Deno.test("classifyHwmon() names several NVMe drives by their device", () => {
  const chips: HwmonChip[] = [
    { name: "nvme", device: "nvme0", sensors: [{ id: "temp1", label: "Composite", input: 44850 }] },
    { name: "nvme", device: "nvme1", sensors: [{ id: "temp1", label: "Composite", input: 36850 }] },
  ];
  assert.deepEqual(classifyHwmon(chips), [
    hwmon("nvme", "nvme0/Composite", 44.85),
    hwmon("nvme", "nvme1/Composite", 36.85),
  ]);
});

Deno.test("classifyHwmon() disambiguates by chip@device, else by order", () => {
  const gpus: HwmonChip[] = [
    {
      name: "amdgpu",
      device: "0000:03:00.0",
      sensors: [{ id: "temp1", label: "edge", input: 46000 }],
    },
    {
      name: "amdgpu",
      device: "0000:04:00.0",
      sensors: [{ id: "temp1", label: "edge", input: 50000 }],
    },
  ];
  assert.deepEqual(classifyHwmon(gpus), [
    hwmon("gpu", "amdgpu@0000:03:00.0/edge", 46),
    hwmon("gpu", "amdgpu@0000:04:00.0/edge", 50),
  ]);
  const anonymous: HwmonChip[] = [
    { name: "nvme", sensors: [{ id: "temp1", label: "Composite", input: 40000 }] },
    { name: "nvme", sensors: [{ id: "temp1", label: "Composite", input: 41000 }] },
  ];
  assert.deepEqual(classifyHwmon(anonymous), [
    hwmon("nvme", "nvme0/Composite", 40),
    hwmon("nvme", "nvme1/Composite", 41),
  ]);
});

Deno.test("classifyHwmon() reports GPU chips as gpu and unknown chips as other", () => {
  const chips: HwmonChip[] = [
    {
      name: "amdgpu",
      device: "0000:0b:00.0",
      sensors: [
        { id: "temp1", label: "edge", input: 46000 },
        { id: "temp2", label: "junction", input: 48000 },
      ],
    },
    { name: "nouveau", sensors: [{ id: "temp1", label: null, input: 39000 }] },
    { name: "nct6798", sensors: [{ id: "temp1", label: "SYSTIN", input: 33000 }] },
  ];
  assert.deepEqual(classifyHwmon(chips), [
    hwmon("gpu", "amdgpu/edge", 46),
    hwmon("gpu", "amdgpu/junction", 48),
    hwmon("gpu", "nouveau/temp1", 39),
    hwmon("other", "nct6798/SYSTIN", 33),
  ]);
});

Deno.test("classifyHwmon() discards readings of 0, -40 °C and below, 150 °C and above", () => {
  const chips: HwmonChip[] = [{
    name: "nct6798",
    sensors: [
      { id: "temp1", label: "a", input: 0 },
      { id: "temp2", label: "b", input: -40000 },
      { id: "temp3", label: "c", input: -62000 },
      { id: "temp4", label: "d", input: 150000 },
      { id: "temp5", label: "e", input: 127500 },
      { id: "temp6", label: "f", input: -39000 },
      { id: "temp7", label: "g", input: Number.NaN },
    ],
  }];
  assert.deepEqual(classifyHwmon(chips), [
    hwmon("other", "nct6798/e", 127.5),
    hwmon("other", "nct6798/f", -39),
  ]);
});

Deno.test("isWantedHwmonSensor() rejects exactly the sensors classifyHwmon() drops by label", () => {
  assert.equal(isWantedHwmonSensor("coretemp", "Package id 1"), true);
  assert.equal(isWantedHwmonSensor("coretemp", "Core 12"), false);
  assert.equal(isWantedHwmonSensor("k10temp", "Tctl"), true);
  assert.equal(isWantedHwmonSensor("k10temp", "Tccd3"), false);
  assert.equal(isWantedHwmonSensor("nvme", "Composite"), true);
  assert.equal(isWantedHwmonSensor("nvme", "Sensor 2"), false);
  assert.equal(isWantedHwmonSensor("amdgpu", "mem"), true);
  assert.equal(isWantedHwmonSensor("acpitz", null), true);
});

Deno.test("classifyThermalZones() classifies zone types and labels them zone/type", () => {
  assert.deepEqual(
    classifyThermalZones([
      { name: "thermal_zone0", type: "acpitz", temp: 27800 },
      { name: "thermal_zone1", type: "x86_pkg_temp", temp: 42000 },
      { name: "thermal_zone2", type: "cpu-thermal", temp: 48312 },
      { name: "thermal_zone3", type: "soc_thermal", temp: 45000 },
      { name: "thermal_zone4", type: "CPU-therm", temp: 41500 },
      { name: "thermal_zone5", type: "GPU-therm", temp: 40500 },
      { name: "thermal_zone6", type: "iwlwifi_1", temp: 36000 },
    ]),
    [
      zone("other", "thermal_zone0/acpitz", 27.8),
      zone("cpu", "thermal_zone1/x86_pkg_temp", 42),
      zone("cpu", "thermal_zone2/cpu-thermal", 48.312),
      zone("cpu", "thermal_zone3/soc_thermal", 45),
      zone("cpu", "thermal_zone4/CPU-therm", 41.5),
      zone("gpu", "thermal_zone5/GPU-therm", 40.5),
      zone("other", "thermal_zone6/iwlwifi_1", 36),
    ],
  );
});

Deno.test("classifyThermalZones() discards nonsense readings", () => {
  assert.deepEqual(
    classifyThermalZones([
      { name: "thermal_zone0", type: "acpitz", temp: 0 },
      { name: "thermal_zone1", type: "x86_pkg_temp", temp: -273000 },
      { name: "thermal_zone2", type: "x86_pkg_temp", temp: 255000 },
    ]),
    [],
  );
});

Deno.test("mergeTemperatures() keeps hwmon and adds zone CPU sensors only when hwmon has none", () => {
  const cpu = hwmon("cpu", "coretemp/Package id 0", 42);
  const drive = hwmon("nvme", "nvme/Composite", 38.85);
  const pkg = zone("cpu", "thermal_zone1/x86_pkg_temp", 42);
  const acpi = zone("other", "thermal_zone0/acpitz", 27.8);
  assert.deepEqual(mergeTemperatures([cpu, drive], [acpi, pkg]), [cpu, drive]);
  assert.deepEqual(mergeTemperatures([drive], [acpi, pkg]), [drive, pkg]);
  assert.deepEqual(mergeTemperatures([], [acpi, pkg]), [acpi, pkg]);
  assert.deepEqual(mergeTemperatures([], []), []);
});
