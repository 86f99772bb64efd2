import assert from "node:assert/strict";
import {
  address,
  boolean,
  ConfigError,
  describeInvalid,
  duration,
  type Field,
  FLEET_KEY_FIELDS,
  integer,
  Invalid,
  ipv4,
  list,
  listOf,
  lookup,
  oneOf,
  record,
  resolveFields,
  resolveFleetKey,
  secret,
  text,
  unknownKeys,
  url,
} from "./config_fields.ts";

/** The problems a parser reports for a value, as `at: message` lines. */
function invalid(parse: (value: unknown) => unknown, value: unknown): string[] {
  try {
    parse(value);
  } catch (error) {
    assert.ok(error instanceof Invalid, String(error));
    return error.parts.map((p) => p.at ? `${p.at}: ${p.message}` : p.message);
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

const FIELDS = {
  port: { yaml: "server.port", env: "PORT", flag: "port", parse: integer(1, 65535) },
  tags: { yaml: "tags", env: "TAGS", flag: "tag", parse: list(text) },
  quiet: {
    yaml: "loud",
    env: "LOUD",
    flag: "quiet",
    fromFlag: (given) => given !== true,
    parse: boolean,
  },
} satisfies Record<string, Field<unknown>>;

Deno.test("resolveFields() takes flags over the environment over the file", () => {
  const yamlText = "server:\n  port: 1\ntags: [a]\nloud: true\n";
  const fromFile = resolveFields(FIELDS, { yamlText, env: {} });
  assert.deepEqual(fromFile.values, { port: 1, tags: ["a"], quiet: true });
  const fromEnv = resolveFields(FIELDS, { yamlText, env: { PORT: "2", TAGS: "b,c" } });
  assert.deepEqual(fromEnv.values, { port: 2, tags: ["b", "c"], quiet: true });
  const flags = { port: "3", tag: ["d"], quiet: true };
  const fromFlags = resolveFields(FIELDS, { yamlText, env: { PORT: "2" }, flags });
  assert.deepEqual(fromFlags.values, { port: 3, tags: ["d"], quiet: false });
  assert.deepEqual([...fromFlags.given].sort(), ["port", "quiet", "tags"]);
  assert.deepEqual(fromFlags.problems, []);
});

Deno.test("resolveFields() treats empty variables, YAML nulls and empty flag lists as not given", () => {
  const resolved = resolveFields(FIELDS, {
    yamlText: "server:\n  port: ~\n",
    env: { PORT: "", TAGS: "" },
    flags: { tag: [] },
  });
  assert.deepEqual(resolved.values, {});
  assert.equal(resolved.given.size, 0);
});

Deno.test("resolveFields() reports every problem with its source, and unknown keys", () => {
  const resolved = resolveFields(FIELDS, {
    yamlText: "server:\n  port: 0\n  prot: 1\nextra: {a: 1}\nloud: maybe\n",
    yamlName: "x.yaml",
    env: { TAGS: "," },
    flags: { port: "http" },
  });
  assert.deepEqual(resolved.problems, [
    'x.yaml: unknown setting "server.prot"',
    'x.yaml: unknown setting "extra"',
    '--port: must be an integer from 1 to 65535, not "http"',
    "TAGS: must not be empty",
    'x.yaml: loud: must be true or false, not "maybe"',
  ]);
  assert.deepEqual([...resolved.given].sort(), ["port", "quiet", "tags"]);
});

Deno.test("resolveFields() reports a file that is not YAML or not a mapping", () => {
  const broken = resolveFields(FIELDS, { yamlText: "a: [1,\n", yamlName: "b.yaml", env: {} });
  assert.equal(broken.problems.length, 1);
  assert.match(broken.problems[0]!, /^b\.yaml: /);
  const scalar = resolveFields(FIELDS, { yamlText: "- 1\n", env: {} });
  assert.deepEqual(scalar.problems, ["config file: must be a mapping of settings"]);
  assert.deepEqual(resolveFields(FIELDS, { yamlText: "", env: {} }).problems, []);
});

Deno.test("lookup() and unknownKeys() follow dotted paths", () => {
  assert.equal(lookup({ a: { b: 2 } }, "a.b"), 2);
  assert.equal(lookup({ a: 1 }, "a.b"), undefined);
  const known = new Set(["a.b", "c"]);
  assert.deepEqual(unknownKeys({ a: { b: 1, x: 2 }, c: [], d: 3 }, known), ["a.x", "d"]);
  assert.deepEqual(unknownKeys({ a: 5 }, known), ["a"]);
});

Deno.test("text(), oneOf() and integer() report what they expected", () => {
  assert.equal(text(" a "), "a");
  assert.equal(text(7), "7");
  assert.deepEqual(invalid(text, " "), ["must be a string"]);
  assert.deepEqual(invalid(text, {}), ["must be a string"]);
  assert.equal(oneOf(["x", "y"])("y"), "y");
  assert.deepEqual(invalid(oneOf(["x", "y"]), "z"), ['must be one of x, y, not "z"']);
  assert.equal(integer(0, 5)("5"), 5);
  assert.deepEqual(invalid(integer(0, 5), 6), ["must be an integer from 0 to 5, not 6"]);
  assert.deepEqual(invalid(integer(0, 5), 1.5), ["must be an integer from 0 to 5, not 1.5"]);
});

Deno.test("duration() reads Go durations and seconds, and enforces its minimum", () => {
  const parse = duration(500);
  assert.equal(parse("2500ms"), 2500);
  assert.equal(parse("1h30m"), 5_400_000);
  assert.equal(parse(2), 2000);
  assert.match(invalid(parse, "10")[0]!, /^must be a duration such as "1s"/);
  assert.deepEqual(invalid(parse, "100ms"), ['must be at least 500 ms, not "100ms"']);
});

Deno.test("boolean() reads the usual spellings", () => {
  for (const yes of [true, "true", "YES", "on", "1"]) assert.equal(boolean(yes), true);
  for (const no of [false, "false", "no", "Off", "0"]) assert.equal(boolean(no), false);
  assert.deepEqual(invalid(boolean, "maybe"), ['must be true or false, not "maybe"']);
});

Deno.test("address() reads HOST:PORT in every form", () => {
  const parse = address("0.0.0.0");
  assert.deepEqual(parse("10.0.0.1:80"), { hostname: "10.0.0.1", port: 80 });
  assert.deepEqual(parse("[::1]:80"), { hostname: "::1", port: 80 });
  assert.deepEqual(parse(":80"), { hostname: "0.0.0.0", port: 80 });
  assert.deepEqual(parse(80), { hostname: "0.0.0.0", port: 80 });
  assert.deepEqual(invalid(parse, "host"), ['must be HOST:PORT or PORT, not "host"']);
  assert.deepEqual(invalid(parse, "h:70000"), ["port 70000 is out of range"]);
});

Deno.test("url() accepts http(s) without credentials and drops the trailing slash", () => {
  assert.equal(url("http://10.0.0.5:11435/"), "http://10.0.0.5:11435");
  assert.equal(url("https://h.example/ollama/"), "https://h.example/ollama");
  assert.match(invalid(url, "ftp://x")[0]!, /^must be an http:\/\/ or https:\/\/ URL/);
  assert.match(invalid(url, "10.0.0.5:11435")[0]!, /^must be an http:\/\/ or https:\/\/ URL/);
  assert.deepEqual(invalid(url, "http://u:secret@h"), ["must not carry a user or password"]);
});

Deno.test("list() and ipv4() read lists from YAML, the environment and flags", () => {
  const parse = list(ipv4);
  assert.deepEqual(parse("10.0.0.255, 10.1.0.255"), ["10.0.0.255", "10.1.0.255"]);
  assert.deepEqual(parse(["1.2.3.4"]), ["1.2.3.4"]);
  assert.deepEqual(invalid(parse, []), ["must not be empty"]);
  assert.deepEqual(invalid(parse, ["1.2.3.4", "1.2.3.256"]), [
    'must be IPv4 addresses, not "1.2.3.256"',
  ]);
});

Deno.test("listOf() and record() report every bad item and key with its path", () => {
  const parse = listOf(record({ url }, { slots: integer(1, 4) }));
  assert.deepEqual(parse([]), []);
  assert.deepEqual(parse([{ url: "http://a/", slots: 2 }, { url: "http://b" }]), [
    { url: "http://a", slots: 2 },
    { url: "http://b" },
  ]);
  assert.deepEqual(invalid(parse, [{ url: "http://a" }, { slots: 9, port: 1 }, "x"]), [
    '[1]: unknown setting "port"',
    "[1].url: must be given",
    "[1].slots: must be an integer from 1 to 4, not 9",
    "[2]: must be a mapping",
  ]);
});

Deno.test("describeInvalid() prefixes each part and rethrows other errors", () => {
  const error = Invalid.many([{ at: "[0].a", message: "m1" }, { at: "", message: "m2" }]);
  assert.deepEqual(describeInvalid("f.yaml: k", error), ["f.yaml: k[0].a: m1", "f.yaml: k: m2"]);
  assert.throws(() => describeInvalid("x", new RangeError("bug")), RangeError);
});

Deno.test("secret() refuses a weak fleet key without echoing it", () => {
  const problems = invalid(secret, "hunter2hunter");
  assert.match(problems[0]!, /^must be at least 16 characters; make one with/);
  assert.ok(!problems[0]!.includes("hunter2"));
  assert.deepEqual(invalid(secret, 1234567890123456789), ["must be a string"]);
});

Deno.test("resolveFleetKey() prefers a key, then a file, then systemd's credential", () => {
  const resolve = (yamlText: string, env: Record<string, string> = {}) =>
    resolveFleetKey(resolveFields(FLEET_KEY_FIELDS, { yamlText, env }), env);
  const credentials = { CREDENTIALS_DIRECTORY: "/run/c" };
  assert.deepEqual(resolve("fleet_key: 0123456789abcdef", credentials), {
    fleetKey: "0123456789abcdef",
    fleetKeyFile: null,
    insecure: false,
    problem: null,
  });
  assert.equal(resolve("fleet_key_file: /k", credentials).fleetKeyFile, "/k");
  assert.equal(resolve("", credentials).fleetKeyFile, "/run/c/fleet-key");
  assert.equal(resolve("insecure: true").problem, null);
  assert.match(resolve("").problem!, /^no fleet key: set CORRAL_FLEET_KEY .*--insecure/);
  assert.equal(
    resolve("fleet_key: short").problem,
    null,
    "a bad key is reported once, by secret()",
  );
});

Deno.test("ConfigError lists every problem under what cannot start", () => {
  const error = new ConfigError(["a: 1", "b: 2"], "the hub");
  assert.equal(error.message, "Cannot start the hub:\n  - a: 1\n  - b: 2");
  assert.deepEqual(error.problems, ["a: 1", "b: 2"]);
  assert.equal(error.name, "ConfigError");
});
