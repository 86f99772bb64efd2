import assert from "node:assert/strict";
import { ConfigError, loadAgentConfig, parseAgentFlags } from "./config.ts";

const KEY = "0123456789abcdef0123";

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  throw new Error("the configuration was accepted");
}

Deno.test("loadAgentConfig() accepts agent/config.example.yaml", async () => {
  const yamlText = await Deno.readTextFile(new URL("./config.example.yaml", import.meta.url));
  const config = loadAgentConfig({ yamlText, env: {} });
  assert.equal(config.name, "gpu-1");
  assert.equal(config.fleetKeyFile, "/etc/corral/fleet.key");
  assert.deepEqual(config.listen, { hostname: "0.0.0.0", port: 11435 });
  assert.equal(config.sampleIntervalMs, 1000);
  assert.equal(config.announce.intervalMs, 5000);
  assert.equal(config.announce.addresses, null);
  assert.equal(config.ollamaContextLength, 0);
});

Deno.test("loadAgentConfig() fills defaults when only a key is given", () => {
  const config = loadAgentConfig({ env: { CORRAL_FLEET_KEY: KEY, OLLAMA_MODELS: "/data/m" } });
  assert.equal(config.mode, "agent");
  assert.equal(config.ollamaUrl, "http://127.0.0.1:11434");
  assert.equal(config.slots, 1);
  assert.equal(config.ollamaContextLength, 0, "0: Ollama's own choice by VRAM");
  assert.equal(config.gpus, "auto");
  assert.deepEqual(config.disks, ["/", "/data/m"]);
  assert.equal(config.announce.port, 11436);
  assert.deepEqual(config.client.listen, { hostname: "127.0.0.1", port: 11434 });
  assert.ok(Object.isFrozen(config));
});

Deno.test("loadAgentConfig() takes flags over the environment over the file", () => {
  const yamlText = "slots: 2\nname: from-file\ngpus: none\nollama_url: http://127.0.0.1:9\n";
  const env = { CORRAL_FLEET_KEY: KEY, CORRAL_SLOTS: "3", CORRAL_AGENT_NAME: "from-env" };
  const flags = parseAgentFlags(["--slots", "4", "--disk", "/a", "--disk", "/b"]);
  const config = loadAgentConfig({ yamlText, env, flags });
  assert.equal(config.slots, 4);
  assert.equal(config.name, "from-env");
  assert.equal(config.gpus, "none");
  assert.equal(config.ollamaUrl, "http://127.0.0.1:9");
  assert.deepEqual(config.disks, ["/a", "/b"]);
});

Deno.test("loadAgentConfig() reports every problem at once, each with its source", () => {
  const yamlText =
    "slots: 0\nsample_interval: soon\nanouncе: {}\nannounce:\n  addresses: [1.2.3]\n";
  const flags = parseAgentFlags([
    "--mode",
    "server",
    "--listen",
    "host:99999",
    "--ollama",
    "ftp://x",
  ]);
  const found = problems(() =>
    loadAgentConfig({ yamlText, yamlName: "agent.yaml", env: {}, flags })
  );
  const expected = [
    /^agent\.yaml: unknown setting "anouncе"$/,
    /^--mode: must be one of agent, client, auto, not "server"$/,
    /^--listen: port 99999 is out of range$/,
    /^--ollama: must be an http:\/\/ or https:\/\/ URL/,
    /^agent\.yaml: slots: must be an integer from 1 to 512/,
    /^agent\.yaml: sample_interval: must be a duration/,
    /^agent\.yaml: announce\.addresses: must be IPv4 addresses, not "1\.2\.3"$/,
    /^no fleet key: .*openssl rand -base64 32.*--insecure/,
  ];
  for (const pattern of expected) {
    assert.ok(found.some((p) => pattern.test(p)), `${pattern} in ${JSON.stringify(found)}`);
  }
  assert.equal(found.length, expected.length, JSON.stringify(found));
});

Deno.test("loadAgentConfig() refuses a weak fleet key without printing it", () => {
  const found = problems(() => loadAgentConfig({ env: { CORRAL_FLEET_KEY: "hunter2hunter" } }));
  assert.equal(found.length, 1);
  assert.match(found[0]!, /^CORRAL_FLEET_KEY: must be at least 16 characters/);
  assert.ok(!found[0]!.includes("hunter2"));
});

Deno.test("loadAgentConfig() runs without a key only when told --insecure", () => {
  const config = loadAgentConfig({ env: {}, flags: parseAgentFlags(["--insecure"]) });
  assert.equal(config.insecure, true);
  assert.equal(config.fleetKey, null);
  assert.equal(loadAgentConfig({ env: { CORRAL_INSECURE: "yes" } }).insecure, true);
});

Deno.test("loadAgentConfig() finds the key in systemd's credentials directory", () => {
  const config = loadAgentConfig({ env: { CREDENTIALS_DIRECTORY: "/run/credentials/x" } });
  assert.equal(config.fleetKeyFile, "/run/credentials/x/fleet-key");
});

Deno.test("loadAgentConfig() reads lists from the environment and addresses in every form", () => {
  const env = {
    CORRAL_FLEET_KEY: KEY,
    CORRAL_ANNOUNCE_ADDRESSES: "127.255.255.255, 10.0.0.255",
    CORRAL_AGENT_LISTEN: "12345",
    CORRAL_CLIENT_LISTEN: "[::1]:11434",
  };
  const config = loadAgentConfig({ env });
  assert.deepEqual(config.announce.addresses, ["127.255.255.255", "10.0.0.255"]);
  assert.deepEqual(config.listen, { hostname: "0.0.0.0", port: 12345 });
  assert.deepEqual(config.client.listen, { hostname: "::1", port: 11434 });
});

Deno.test("loadAgentConfig() takes the host's OLLAMA_CONTEXT_LENGTH from file, env or flag", () => {
  const yamlText = "ollama_context_length: 8192\n";
  const env = { CORRAL_FLEET_KEY: KEY };
  assert.equal(loadAgentConfig({ yamlText, env }).ollamaContextLength, 8192);
  const fromEnv = { ...env, CORRAL_OLLAMA_CONTEXT_LENGTH: "16384" };
  assert.equal(loadAgentConfig({ yamlText, env: fromEnv }).ollamaContextLength, 16384);
  const flags = parseAgentFlags(["--ollama-context-length", "32768"]);
  assert.equal(loadAgentConfig({ yamlText, env: fromEnv, flags }).ollamaContextLength, 32768);
  const found = problems(() =>
    loadAgentConfig({ env, flags: parseAgentFlags(["--ollama-context-length=-1"]) })
  );
  assert.deepEqual(found.length, 1);
  assert.match(found[0]!, /^--ollama-context-length: must be an integer from 0 to /);
  assert.match(
    problems(() => loadAgentConfig({ env: { ...env, CORRAL_OLLAMA_CONTEXT_LENGTH: "4k" } }))[0]!,
    /^CORRAL_OLLAMA_CONTEXT_LENGTH: must be an integer/,
  );
});

Deno.test("loadAgentConfig() reports a file that is not YAML", () => {
  const found = problems(() =>
    loadAgentConfig({ yamlText: "slots: [1,\n", yamlName: "a.yaml", env: {}, flags: {} })
  );
  assert.match(found[0]!, /^a\.yaml: /);
});

Deno.test("parseAgentFlags() refuses unknown flags and a --fleet-key flag", () => {
  assert.throws(() => parseAgentFlags(["--slot", "2"]), TypeError);
  assert.throws(() => parseAgentFlags(["--fleet-key", KEY]), TypeError);
});
