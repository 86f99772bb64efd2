import assert from "node:assert/strict";
import {
  apiKeysRequired,
  ConfigError,
  type HubConfig,
  isLoopback,
  loadHubConfig,
  parseHubFlags,
  withApiKeysFile,
} from "./config.ts";

const KEY = "0123456789abcdef0123";
const HASH_A = `sha256:${"a".repeat(64)}`;
const HASH_B = `sha256:${"b".repeat(64)}`;

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, /^Cannot start the hub:\n {2}- /);
    return error.problems;
  }
  throw new Error("the configuration was accepted");
}

function assertProblems(found: string[], expected: RegExp[]) {
  for (const pattern of expected) {
    assert.ok(
      found.some((p) => pattern.test(p)),
      `${pattern} in ${JSON.stringify(found, null, 1)}`,
    );
  }
  assert.equal(found.length, expected.length, JSON.stringify(found, null, 1));
}

/** Uncomments each block of `# ` lines that follows a comment ending in "for example:". */
function uncommentExamples(yamlText: string): string {
  let inExample = false;
  return yamlText.split("\n").map((line) => {
    const commented = /^(\s*)# (.*)$/.exec(line);
    if (inExample && commented) return `${commented[1]}${commented[2]}`;
    inExample = /for example:$/.test(line);
    return line;
  }).join("\n");
}

const EXAMPLE = new URL("./config.example.yaml", import.meta.url);
const DEFAULTS: HubConfig = {
  name: null,
  listen: { hostname: "0.0.0.0", port: 11434 },
  controlListen: { hostname: "127.0.0.1", port: 11400 },
  fleetKey: KEY,
  fleetKeyFile: null,
  insecure: false,
  discovery: { enabled: true, port: 11436, probeTo: null },
  agents: [],
  ollama: [],
  openApi: false,
  apiKeys: [],
  apiKeysFile: null,
  queue: { max: 512, timeoutMs: 600_000 },
  offlineAfterMs: 2500,
  retries: 2,
  routing: { numCtx: 8192, keepAlive: "30m", models: [], shareLarger: true },
  history: {
    enabled: true,
    databaseUrl: null,
    dataDir: "./data",
    sampleIntervalMs: 10_000,
    rawRetentionMs: 7 * 86_400_000,
    rollupRetentionMs: 90 * 86_400_000,
    bufferRows: 50_000,
  },
};

Deno.test("loadHubConfig() fills every default when only a key is given, frozen", () => {
  const config = loadHubConfig({ env: { CORRAL_FLEET_KEY: KEY } });
  assert.deepEqual(config, DEFAULTS);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.discovery) && Object.isFrozen(config.agents));
});

Deno.test("loadHubConfig() accepts hub/config.example.yaml, at the defaults it claims", async () => {
  const yamlText = await Deno.readTextFile(EXAMPLE);
  const config = loadHubConfig({ yamlText, env: {} });
  assert.deepEqual(config, {
    ...DEFAULTS,
    name: "hub-1",
    fleetKey: null,
    fleetKeyFile: "/etc/corral/fleet.key",
  });
});

Deno.test("loadHubConfig() accepts each example in hub/config.example.yaml", async () => {
  const yamlText = uncommentExamples(await Deno.readTextFile(EXAMPLE));
  const config = loadHubConfig({ yamlText, env: {} });
  assert.deepEqual(config.discovery.probeTo, ["192.168.1.255", "10.0.0.255"]);
  assert.deepEqual(config.agents, ["http://10.1.0.5:11435", "http://gpu-7.lab.example:11435"]);
  assert.deepEqual(config.ollama, [
    { url: "http://10.1.0.9:11434", name: null, slots: 1, contextLength: 0 },
    {
      url: "http://workstation.lab.example:11434",
      name: "workstation",
      slots: 4,
      contextLength: 8192,
    },
  ]);
  assert.equal(config.apiKeys.length, 1);
  assert.deepEqual(config.apiKeys[0]!.models, ["qwen3:*", "llama3.2:3b"]);
  assert.equal(config.apiKeysFile, "/etc/corral/api-keys.yaml");
});

Deno.test("loadHubConfig() takes flags over the environment over the file", () => {
  const yamlText = [
    "name: from-file",
    "retries: 1",
    "queue: {max: 10, timeout: 1m}",
    "discovery: {enabled: true, port: 9000}",
    "agents: [http://file:1]",
  ].join("\n");
  const env = {
    CORRAL_FLEET_KEY: KEY,
    CORRAL_HUB_NAME: "from-env",
    CORRAL_RETRIES: "3",
    CORRAL_QUEUE_MAX: "20",
    CORRAL_AGENTS: "http://env:1, http://env:2",
  };
  const flags = parseHubFlags(["--retries", "4", "--no-discovery", "--agent", "http://flag:1"]);
  const config = loadHubConfig({ yamlText, env, flags });
  assert.equal(config.name, "from-env");
  assert.equal(config.retries, 4);
  assert.deepEqual(config.queue, { max: 20, timeoutMs: 60_000 });
  assert.deepEqual(config.discovery, { enabled: false, port: 9000, probeTo: null });
  assert.deepEqual(config.agents, ["http://flag:1"]);
  const fromEnv = loadHubConfig({ yamlText, env: { ...env, CORRAL_DISCOVERY: "off" } });
  assert.equal(fromEnv.discovery.enabled, false);
  assert.deepEqual(fromEnv.agents, ["http://env:1", "http://env:2"]);
});

Deno.test("loadHubConfig() reads every flag", () => {
  const flags = parseHubFlags([
    ...["--name", "h", "--listen", "127.0.0.1:8080", "--control-listen", "9000"],
    ...["--fleet-key-file", "/k", "--discovery-port", "9001", "--probe-to", "10.0.0.255"],
    ...["--ollama", "http://o:11434", "--open-api", "--api-keys-file", "/keys.yaml"],
    ...["--queue-max", "0", "--queue-timeout", "30s", "--offline-after", "1s", "--insecure"],
  ]);
  const config = loadHubConfig({ env: {}, flags });
  assert.deepEqual(config, {
    ...DEFAULTS,
    name: "h",
    listen: { hostname: "127.0.0.1", port: 8080 },
    controlListen: { hostname: "127.0.0.1", port: 9000 },
    fleetKey: null,
    fleetKeyFile: "/k",
    insecure: true,
    discovery: { enabled: true, port: 9001, probeTo: ["10.0.0.255"] },
    ollama: [{ url: "http://o:11434", name: null, slots: 1, contextLength: 0 }],
    openApi: true,
    apiKeysFile: "/keys.yaml",
    queue: { max: 0, timeoutMs: 30_000 },
    offlineAfterMs: 1000,
  });
});

Deno.test("loadHubConfig() reports every problem at once, each with its source", () => {
  const yamlText = [
    "listen: 0.0.0.0:70000",
    "control_listen: nowhere",
    "discovery: {port: 0, probe_to: [10.0.0], probe: true}",
    "agents: [http://a:1, 'a:2']",
    "ollama: [{url: ftp://o, slots: 0, weight: 2}, {name: x}]",
    "open_api: sometimes",
    "queue: {max: -1, timeout: soon}",
    "offline_after: 100ms",
    "retries: 6",
    "fleet_key_file: ' '",
  ].join("\n");
  const found = problems(() => loadHubConfig({ yamlText, yamlName: "hub.yaml", env: {} }));
  assertProblems(found, [
    /^hub\.yaml: unknown setting "discovery\.probe"$/,
    /^hub\.yaml: listen: port 70000 is out of range$/,
    /^hub\.yaml: control_listen: must be HOST:PORT or PORT, not "nowhere"$/,
    /^hub\.yaml: fleet_key_file: must be a string$/,
    /^hub\.yaml: discovery\.port: must be an integer from 1 to 65535, not 0$/,
    /^hub\.yaml: discovery\.probe_to: must be IPv4 addresses, not "10\.0\.0"$/,
    /^hub\.yaml: agents\[1\]: must be an http:\/\/ or https:\/\/ URL, not "a:2"$/,
    /^hub\.yaml: ollama\[0\]: unknown setting "weight"$/,
    /^hub\.yaml: ollama\[0\]\.url: must be an http:\/\/ or https:\/\/ URL, not "ftp:\/\/o"$/,
    /^hub\.yaml: ollama\[0\]\.slots: must be an integer from 1 to 512, not 0$/,
    /^hub\.yaml: ollama\[1\]\.url: must be given$/,
    /^hub\.yaml: open_api: must be true or false, not "sometimes"$/,
    /^hub\.yaml: queue\.max: must be an integer from 0 to 1000000, not -1$/,
    /^hub\.yaml: queue\.timeout: must be a duration such as "1s"/,
    /^hub\.yaml: offline_after: must be at least 500 ms, not "100ms"$/,
    /^hub\.yaml: retries: must be an integer from 0 to 5, not 6$/,
    /^no fleet key: .*openssl rand -base64 32.*--insecure on a trusted network$/,
  ]);
});

Deno.test("loadHubConfig() names the environment variable or flag that is wrong", () => {
  const flags = parseHubFlags(["--ollama", "http://ok", "--ollama", "nope", "--queue-max", "x"]);
  const env = { CORRAL_FLEET_KEY: KEY, CORRAL_HUB_LISTEN: "host:port", CORRAL_OPEN_API: "2" };
  assertProblems(problems(() => loadHubConfig({ env, flags })), [
    /^CORRAL_HUB_LISTEN: must be HOST:PORT or PORT, not "host:port"$/,
    /^CORRAL_OPEN_API: must be true or false, not "2"$/,
    /^--ollama\[1\]: must be an http:\/\/ or https:\/\/ URL, not "nope"$/,
    /^--queue-max: must be an integer from 0 to 1000000, not "x"$/,
  ]);
});

Deno.test("loadHubConfig() refuses a weak fleet key without printing it", () => {
  const found = problems(() => loadHubConfig({ env: { CORRAL_FLEET_KEY: "hunter2hunter" } }));
  assertProblems(found, [/^CORRAL_FLEET_KEY: must be at least 16 characters; make one with/]);
  assert.ok(!found[0]!.includes("hunter2"));
});

Deno.test("loadHubConfig() finds the fleet key in systemd's credentials directory", () => {
  const config = loadHubConfig({ env: { CREDENTIALS_DIRECTORY: "/run/credentials/hub" } });
  assert.equal(config.fleetKeyFile, "/run/credentials/hub/fleet-key");
  assert.equal(loadHubConfig({ env: { CORRAL_INSECURE: "yes" } }).insecure, true);
});

Deno.test("loadHubConfig() reads plain Ollama servers as URLs or mappings", () => {
  const yamlText =
    "ollama:\n  - http://a:11434/\n  - {url: 'http://b:11434', name: b, slots: 3, context_length: 8192}\n";
  const config = loadHubConfig({ yamlText, env: { CORRAL_FLEET_KEY: KEY } });
  assert.deepEqual(config.ollama, [
    { url: "http://a:11434", name: null, slots: 1, contextLength: 0 },
    { url: "http://b:11434", name: "b", slots: 3, contextLength: 8192 },
  ]);
  const fromEnv = loadHubConfig({
    env: { CORRAL_FLEET_KEY: KEY, CORRAL_OLLAMA_SERVERS: "http://c" },
  });
  assert.deepEqual(fromEnv.ollama, [{ url: "http://c", name: null, slots: 1, contextLength: 0 }]);
});

Deno.test("loadHubConfig() refuses a host listed twice in agents and ollama", () => {
  const yamlText = "agents: [http://a:1]\nollama: [http://a:1/]\n";
  assertProblems(problems(() => loadHubConfig({ yamlText, env: { CORRAL_FLEET_KEY: KEY } })), [
    /^"http:\/\/a:1" is listed more than once in agents and ollama$/,
  ]);
});

Deno.test("loadHubConfig() reads API keys: hash normalised, every model allowed by default", () => {
  const yamlText = [
    "api_keys:",
    `  - {name: alice, hash: "${HASH_A.toUpperCase().replace("SHA256", "sha256")}"}`,
    `  - {name: ci, hash: "${HASH_B}", models: ["qwen3:*", "llama3.2:3b", "*"]}`,
  ].join("\n");
  const config = loadHubConfig({ yamlText, env: { CORRAL_FLEET_KEY: KEY } });
  assert.deepEqual(config.apiKeys, [
    { name: "alice", hash: HASH_A, models: ["*"] },
    { name: "ci", hash: HASH_B, models: ["qwen3:*", "llama3.2:3b", "*"] },
  ]);
});

Deno.test("loadHubConfig() reports every bad API key, never echoing a hash or a key", () => {
  const pasted = "sk-corral-this-is-the-raw-key";
  const yamlText = [
    "api_keys:",
    `  - {name: alice, hash: "${HASH_A}"}`,
    `  - {name: bob, hash: "${pasted}", key: "${pasted}"}`,
    `  - {hash: "sha256:${"0".repeat(63)}g"}`,
    `  - {name: alice, hash: "${HASH_A}", models: []}`,
    `  - {name: eve, hash: "${HASH_B}", models: ["ok:*", "q*:8b"]}`,
    "  - just-a-string",
  ].join("\n");
  const found = problems(() => loadHubConfig({ yamlText, yamlName: "h.yaml", env: {} }));
  assertProblems(found, [
    /^h\.yaml: api_keys\[1\]: unknown setting "key"$/,
    /^h\.yaml: api_keys\[1\]\.hash: must be "sha256:" and the key's SHA-256 in 64 hex digits/,
    /^h\.yaml: api_keys\[2\]\.name: must be given$/,
    /^h\.yaml: api_keys\[2\]\.hash: must be "sha256:"/,
    /^h\.yaml: api_keys\[3\]\.models: must not be empty$/,
    /^h\.yaml: api_keys\[4\]\.models: must be a model name, NAME:\* or \*, not "q\*:8b"$/,
    /^h\.yaml: api_keys\[5\]: must be a mapping$/,
    /^no fleet key: /,
  ]);
  assert.ok(!found.some((p) => p.includes(pasted) || p.includes("a".repeat(64))));
  const repeated = [
    "api_keys:",
    `  - {name: alice, hash: "${HASH_A}"}`,
    `  - {name: alice, hash: "${HASH_B}"}`,
    `  - {name: bob, hash: "${HASH_A}"}`,
  ].join("\n");
  assertProblems(
    problems(() => loadHubConfig({ yamlText: repeated, env: { CORRAL_FLEET_KEY: KEY } })),
    [
      /^config file: api_keys\[1\]\.name: "alice" is also the name of \[0\]$/,
      /^config file: api_keys\[2\]\.hash: is also the hash of \[0\]$/,
    ],
  );
});

Deno.test("withApiKeysFile() adds the file's keys, refusing repeats of the config's", () => {
  const config = loadHubConfig({
    yamlText: `api_keys: [{name: alice, hash: "${HASH_A}"}]`,
    env: { CORRAL_FLEET_KEY: KEY },
  });
  const merged = withApiKeysFile(
    config,
    `- {name: ci, hash: "${HASH_B}", models: [qwen3]}`,
    "k.yaml",
  );
  assert.deepEqual(merged.apiKeys.map((k) => k.name), ["alice", "ci"]);
  assert.ok(Object.isFrozen(merged) && Object.isFrozen(merged.apiKeys));
  assert.equal(config.apiKeys.length, 1, "the original is unchanged");
  assert.deepEqual(withApiKeysFile(config, "# none yet\n", "k.yaml").apiKeys, config.apiKeys);
  const repeats =
    `- {name: alice, hash: "${HASH_B}"}\n- {name: bob, hash: "${HASH_A}"}\n- {name: c}`;
  assertProblems(problems(() => withApiKeysFile(config, repeats, "k.yaml")), [
    /^k\.yaml: \[2\]\.hash: must be given$/,
  ]);
  const valid = `- {name: alice, hash: "${HASH_B}"}\n- {name: bob, hash: "${HASH_A}"}`;
  assertProblems(problems(() => withApiKeysFile(config, valid, "k.yaml")), [
    /^k\.yaml: \[0\]\.name: "alice" is also the name of api_keys\[0\]$/,
    /^k\.yaml: \[1\]\.hash: is also the hash of api_keys\[0\]$/,
  ]);
  assertProblems(problems(() => withApiKeysFile(config, "alice: x", "k.yaml")), [
    /^k\.yaml: must be a list of API keys$/,
  ]);
  assertProblems(problems(() => withApiKeysFile(config, "- [1,\n", "k.yaml")), [/^k\.yaml: /]);
});

Deno.test("apiKeysRequired() is true off loopback unless open_api is set", () => {
  const on = (hostname: string, openApi = false) =>
    apiKeysRequired({ listen: { hostname, port: 11434 }, openApi });
  for (
    const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]
  ) {
    assert.equal(on(host), false, host);
    assert.ok(isLoopback(host), host);
  }
  for (
    const host of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "hub.lan", "127.0.0", "127.0.0.256"]
  ) {
    assert.equal(on(host), true, host);
    assert.equal(on(host, true), false, `${host} with open_api`);
  }
  assert.equal(apiKeysRequired(loadHubConfig({ env: { CORRAL_FLEET_KEY: KEY } })), true);
});

Deno.test("parseHubFlags() refuses unknown flags and a --fleet-key flag", () => {
  assert.throws(() => parseHubFlags(["--agents", "http://a"]), TypeError);
  assert.throws(() => parseHubFlags(["--fleet-key", KEY]), TypeError);
  assert.deepEqual(parseHubFlags(["--agent", "http://a", "--agent", "http://b"]).agent, [
    "http://a",
    "http://b",
  ]);
  assert.equal(parseHubFlags(["-h"]).help, true);
});

Deno.test("history settings: a database URL is checked but never repeated, retention in days", () => {
  const url = "mysql://corral:hunter2-secret@db/corral";
  assert.throws(
    () => loadHubConfig({ env: { CORRAL_FLEET_KEY: KEY, DATABASE_URL: url } }),
    (error: Error) => {
      assert.match(error.message, /DATABASE_URL.*postgres:\/\//);
      assert.ok(!error.message.includes("hunter2"), error.message);
      return true;
    },
  );
  const config = loadHubConfig({
    env: { CORRAL_FLEET_KEY: KEY, DATABASE_URL: "postgres://corral:pw@db:5432/corral" },
    yamlText: "history:\n  retention: 3d\n  rollup_retention: 2160h\n  sample_interval: 30s\n",
    flags: { "data-dir": "/var/lib/corral" },
  });
  assert.equal(config.history.databaseUrl, "postgres://corral:pw@db:5432/corral");
  assert.equal(config.history.rawRetentionMs, 3 * 86_400_000);
  assert.equal(config.history.rollupRetentionMs, 90 * 86_400_000);
  assert.equal(config.history.sampleIntervalMs, 30_000);
  assert.equal(config.history.dataDir, "/var/lib/corral");
  assert.throws(
    () =>
      loadHubConfig({
        env: { CORRAL_FLEET_KEY: KEY },
        yamlText: "history:\n  retention: 30d\n  rollup_retention: 7d\n",
      }),
    /rollup_retention must be at least history.retention/,
  );
  assert.equal(
    loadHubConfig({ env: { CORRAL_FLEET_KEY: KEY }, flags: { "no-history": true } }).history
      .enabled,
    false,
  );
});
