/**
 * The machinery that the agent's and the hub's configurations share: settings read from a YAML
 * file, then the environment, then command-line flags, each overriding the one before; parsers for
 * each kind of value; and every problem collected, each prefixed by where the bad value came from,
 * so that a configuration is reported whole in one {@link ConfigError}.
 *
 * Pure: the caller reads the file and the environment and hands them over as {@link ConfigSources}.
 *
 * @module
 */

import { parse as parseYaml } from "yaml";
import { parseGoDuration } from "./duration.ts";
import { FLEET_KEY_HINT, fleetKeyProblem } from "./fleet_key.ts";

/** A host and port to listen on. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** Every problem found in a configuration, reported together. */
export class ConfigError extends Error {
  /**
   * Creates the error from its list of problems, each prefixed by where the value came from.
   *
   * @param problems What is wrong, one line each.
   * @param what What cannot start, for the message: `the agent`, `the hub`.
   */
  constructor(readonly problems: string[], what: string) {
    super(`Cannot start ${what}:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/** One problem inside a value: where in it (`""`, `[1]`, `.hash`, `[1].hash`) and what. */
export interface InvalidPart {
  at: string;
  message: string;
}

/** Thrown by a field's parser; the caller prefixes where the value came from. */
export class Invalid extends Error {
  /** Every problem in the value; one, at `""`, unless made by {@link Invalid.many}. */
  readonly parts: readonly InvalidPart[];

  /**
   * Creates the error for a value that is wrong as a whole.
   *
   * @param message What is wrong, e.g. `must be a string`; never the value of a secret.
   * @param at Where in the value, e.g. `.hash`.
   */
  constructor(message: string, at = "") {
    super(at ? `${at}: ${message}` : message);
    this.name = "Invalid";
    this.parts = [{ at, message }];
  }

  /**
   * Combines the problems of several parts of one value (the items of a list, the keys of a
   * mapping) so that all of them are reported, not only the first.
   *
   * @param parts The problems, each with where it lies.
   * @returns One error carrying them all.
   * @example
   * ```ts
   * throw Invalid.many([{ at: "[0].hash", message: "must be given" }]);
   * ```
   */
  static many(parts: readonly InvalidPart[]): Invalid {
    const error = new Invalid(
      parts.map((p) => p.at ? `${p.at}: ${p.message}` : p.message).join("; "),
    );
    (error as { parts: readonly InvalidPart[] }).parts = parts;
    return error;
  }
}

/** Reads one value; throws {@link Invalid} when it is wrong. */
export type Parser<T> = (value: unknown) => T;

/** One setting: where each source keeps it, and how to read its value. */
export interface Field<T, F extends string = string> {
  /** Its dotted path in the YAML file, e.g. `announce.port`. */
  yaml: string;
  /** Its environment variable, if any. */
  env?: string;
  /** Its command-line flag without the dashes, if any. */
  flag?: F;
  /** Maps the flag's value before parsing, e.g. `--no-discovery` to `false`. */
  fromFlag?: (value: string | string[] | boolean) => unknown;
  parse: Parser<T>;
}

/** Command-line flags as `node:util`'s parseArgs leaves them, before validation. */
export type FlagValues = Readonly<Partial<Record<string, string | string[] | boolean>>>;

/** What a configuration is resolved from. */
export interface ConfigSources<Flags extends FlagValues = FlagValues> {
  /** The YAML file's text, if there is a file. */
  yamlText?: string;
  /** The file's name, for messages. @default "config file" */
  yamlName?: string;
  env: Readonly<Record<string, string | undefined>>;
  /** The parsed command-line flags. */
  flags?: Flags;
}

/** The parsed value of each field that was given, by field name. */
export type FieldValues<Fields extends Record<string, Field<unknown>>> = {
  [K in keyof Fields]?: ReturnType<Fields[K]["parse"]>;
};

/** What {@link resolveFields} found. */
export interface ResolvedFields<Fields extends Record<string, Field<unknown>>> {
  /** Each valid value, from the source with the highest precedence that gave it. */
  values: FieldValues<Fields>;
  /** The fields that some source gave, valid or not. */
  given: Set<keyof Fields>;
  /** Every problem, each prefixed by where it came from, in the order of the fields. */
  problems: string[];
}

/**
 * Resolves fields from their sources, highest precedence last: the YAML file, the environment,
 * the flags. An empty environment variable, a YAML `null` or an empty repeated flag counts as not
 * given. Keys of the file that no field reads are problems, so that a typo is not silently ignored.
 *
 * @param fields The settings, by the name their value takes in the result.
 * @param sources The file's text, the environment and the flags.
 * @returns The values, which fields were given, and every problem.
 * @example
 * ```ts
 * const fields = { port: { yaml: "port", env: "PORT", flag: "port", parse: integer(1, 65535) } };
 * resolveFields(fields, { yamlText: "port: 80", env: { PORT: "81" } }).values.port; // 81
 * ```
 */
export function resolveFields<Fields extends Record<string, Field<unknown>>>(
  fields: Fields,
  sources: ConfigSources,
): ResolvedFields<Fields> {
  const { env, flags = {}, yamlName = "config file" } = sources;
  const problems: string[] = [];
  let tree: Record<string, unknown> = {};
  if (sources.yamlText !== undefined) {
    try {
      const parsed = parseYaml(sources.yamlText) ?? {};
      if (typeof parsed !== "object" || Array.isArray(parsed)) {
        problems.push(`${yamlName}: must be a mapping of settings`);
      } else {
        tree = parsed as Record<string, unknown>;
      }
    } catch (error) {
      problems.push(`${yamlName}: ${(error as Error).message.split("\n")[0]}`);
    }
    const known = new Set(Object.values(fields).map((f) => f.yaml));
    for (const key of unknownKeys(tree, known)) {
      problems.push(`${yamlName}: unknown setting "${key}"`);
    }
  }

  const values: Record<string, unknown> = {};
  const given = new Set<keyof Fields>();
  for (const [name, field] of Object.entries(fields)) {
    const flag = field.flag ? flags[field.flag] : undefined;
    const fromEnv = field.env ? env[field.env] : undefined;
    const fromYaml = lookup(tree, field.yaml);
    const [raw, where] = flag !== undefined && !(Array.isArray(flag) && flag.length === 0)
      ? [field.fromFlag ? field.fromFlag(flag) : flag, `--${field.flag}`]
      : fromEnv !== undefined && fromEnv !== ""
      ? [fromEnv, field.env!]
      : fromYaml !== undefined && fromYaml !== null
      ? [fromYaml, `${yamlName}: ${field.yaml}`]
      : [undefined, ""];
    if (raw === undefined) continue;
    given.add(name as keyof Fields);
    try {
      values[name] = field.parse(raw);
    } catch (error) {
      problems.push(...describeInvalid(where, error));
    }
  }
  return { values: values as FieldValues<Fields>, given, problems };
}

/**
 * Turns a parser's {@link Invalid} into problem lines; any other error is rethrown.
 *
 * @param where Where the value came from, e.g. `hub.yaml: api_keys` or `--listen`.
 * @param error What the parser threw.
 * @returns One line per problem, e.g. `hub.yaml: api_keys[1].hash: must be given`.
 * @example
 * ```ts
 * describeInvalid("--slots", new Invalid("must be an integer")); // ["--slots: must be an integer"]
 * ```
 */
export function describeInvalid(where: string, error: unknown): string[] {
  if (!(error instanceof Invalid)) throw error;
  return error.parts.map((p) => `${where}${p.at}: ${p.message}`);
}

/**
 * Reads a value at a dotted path of a parsed YAML tree.
 *
 * @param tree The parsed file.
 * @param path A path such as `announce.port`.
 * @returns The value, or `undefined` when a part of the path is missing.
 * @example
 * ```ts
 * lookup({ queue: { max: 5 } }, "queue.max"); // 5
 * ```
 */
export function lookup(tree: Record<string, unknown>, path: string): unknown {
  let node: unknown = tree;
  for (const part of path.split(".")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/**
 * Lists the keys of a parsed YAML tree that no field reads.
 *
 * @param tree The parsed file.
 * @param known The dotted paths that fields read.
 * @param prefix The path of `tree` itself, ending in a dot.
 * @returns The unknown keys' dotted paths.
 * @example
 * ```ts
 * unknownKeys({ queue: { mx: 1 } }, new Set(["queue.max"])); // ["queue.mx"]
 * ```
 */
export function unknownKeys(
  tree: Record<string, unknown>,
  known: ReadonlySet<string>,
  prefix = "",
): string[] {
  const found: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix + key;
    if (known.has(path)) continue;
    const isSection = [...known].some((k) => k.startsWith(`${path}.`));
    if (isSection && typeof value === "object" && value !== null && !Array.isArray(value)) {
      found.push(...unknownKeys(value as Record<string, unknown>, known, `${path}.`));
    } else {
      found.push(path);
    }
  }
  return found;
}

/**
 * Reads a non-empty string, trimmed; a number is taken as its decimal form.
 *
 * @param value The raw value.
 * @returns The string.
 * @example
 * ```ts
 * text(" gpu-1 "); // "gpu-1"
 * ```
 */
export function text(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value !== "string" || value.trim() === "") throw new Invalid("must be a string");
  return value.trim();
}

/**
 * Makes a parser for one of a fixed set of words.
 *
 * @param choices The words allowed.
 * @returns The parser.
 * @example
 * ```ts
 * oneOf(["agent", "client"])("client"); // "client"
 * ```
 */
export function oneOf<T extends string>(choices: readonly T[]): Parser<T> {
  return (value: unknown): T => {
    const s = text(value);
    if (!choices.includes(s as T)) {
      throw new Invalid(`must be one of ${choices.join(", ")}, not "${s}"`);
    }
    return s as T;
  };
}

/**
 * Makes a parser for an integer within bounds, given as a number or a string.
 *
 * @param min The smallest allowed.
 * @param max The largest allowed.
 * @returns The parser.
 * @example
 * ```ts
 * integer(1, 512)("4"); // 4
 * ```
 */
export function integer(min: number, max: number): Parser<number> {
  return (value: unknown): number => {
    const n = typeof value === "number" ? value : Number(text(value));
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Invalid(`must be an integer from ${min} to ${max}, not ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/**
 * Makes a parser for a Go duration (`1s`, `500ms`, `1h30m`); a bare number is seconds.
 *
 * @param minMs The shortest allowed, in milliseconds.
 * @returns The parser, giving milliseconds.
 * @example
 * ```ts
 * duration(100)("1.5s"); // 1500
 * ```
 */
export function duration(minMs: number): Parser<number> {
  return (value: unknown): number => {
    let ms: number;
    try {
      ms = typeof value === "number" ? value * 1000 : parseGoDuration(text(value));
    } catch {
      throw new Invalid(`must be a duration such as "1s" or "500ms", not ${JSON.stringify(value)}`);
    }
    if (!(ms >= minMs) || !Number.isFinite(ms)) {
      throw new Invalid(`must be at least ${minMs} ms, not ${JSON.stringify(value)}`);
    }
    return ms;
  };
}

/**
 * Reads true or false, also as `1`/`0`, `yes`/`no` or `on`/`off`.
 *
 * @param value The raw value.
 * @returns The boolean.
 * @example
 * ```ts
 * boolean("yes"); // true
 * ```
 */
export function boolean(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const s = text(value).toLowerCase();
  if (["1", "true", "yes", "on"].includes(s)) return true;
  if (["0", "false", "no", "off"].includes(s)) return false;
  throw new Invalid(`must be true or false, not "${s}"`);
}

/**
 * Makes a parser for `HOST:PORT`, `[IPV6]:PORT`, `:PORT` or `PORT`.
 *
 * @param defaultHost The host when none is given.
 * @returns The parser.
 * @example
 * ```ts
 * address("0.0.0.0")("11435"); // { hostname: "0.0.0.0", port: 11435 }
 * ```
 */
export function address(defaultHost: string): Parser<ListenAddress> {
  return (value: unknown): ListenAddress => {
    const s = text(value);
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s) ?? /^()()(\d+)$/.exec(s);
    if (!match) throw new Invalid(`must be HOST:PORT or PORT, not "${s}"`);
    const port = Number(match[3]);
    if (port > 65535) throw new Invalid(`port ${port} is out of range`);
    return { hostname: match[1] || match[2] || defaultHost, port };
  };
}

/**
 * Reads an http:// or https:// URL without credentials in it.
 *
 * @param value The raw value.
 * @returns The URL, normalised, without a trailing slash.
 * @example
 * ```ts
 * url("http://10.0.0.5:11435/"); // "http://10.0.0.5:11435"
 * ```
 */
export function url(value: unknown): string {
  const s = text(value);
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    throw new Invalid(`must be an http:// or https:// URL, not "${s}"`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new Invalid(`must be an http:// or https:// URL, not "${s}"`);
  }
  if (parsed.username || parsed.password) throw new Invalid("must not carry a user or password");
  return parsed.href.replace(/\/+$/, "");
}

function items(value: unknown): unknown[] {
  return Array.isArray(value)
    ? value
    : typeof value === "string"
    ? value.split(",").filter((s) => s.trim())
    : [value];
}

/**
 * Makes a parser for a non-empty list: a YAML list, a comma-separated string (from the
 * environment) or a repeated flag. The first bad item is reported.
 *
 * @param item The parser of each item.
 * @returns The parser.
 * @example
 * ```ts
 * list(ipv4)("10.0.0.255, 10.1.0.255"); // ["10.0.0.255", "10.1.0.255"]
 * ```
 */
export function list<T>(item: Parser<T>): Parser<T[]> {
  return (value: unknown): T[] => {
    const all = items(value);
    if (all.length === 0) throw new Invalid("must not be empty");
    return all.map(item);
  };
}

/**
 * Makes a parser for a list that may be empty, reporting every bad item with its index.
 *
 * @param item The parser of each item.
 * @returns The parser.
 * @example
 * ```ts
 * listOf(url)(["http://a", "ftp://b"]); // throws: [1]: must be an http:// or https:// URL, …
 * ```
 */
export function listOf<T>(item: Parser<T>): Parser<T[]> {
  return (value: unknown): T[] => {
    const found: InvalidPart[] = [];
    const parsed = items(value).map((v, i) => {
      try {
        return item(v);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        found.push(...error.parts.map((p) => ({ at: `[${i}]${p.at}`, message: p.message })));
      }
    });
    if (found.length > 0) throw Invalid.many(found);
    return parsed as T[];
  };
}

/**
 * Makes a parser for a YAML mapping with known keys, reporting every bad, missing or unknown key.
 *
 * @param required The parsers of the keys that must be given.
 * @param optional The parsers of the keys that may be left out.
 * @returns The parser; optional keys not given are absent from its result.
 * @example
 * ```ts
 * record({ url }, { slots: integer(1, 512) })({ url: "http://a:11434" }); // { url: "http://a:11434" }
 * ```
 */
export function record<
  R extends Record<string, Parser<unknown>>,
  O extends Record<string, Parser<unknown>>,
>(
  required: R,
  optional: O,
): Parser<{ [K in keyof R]: ReturnType<R[K]> } & { [K in keyof O]?: ReturnType<O[K]> }> {
  const parsers: Record<string, Parser<unknown>> = { ...required, ...optional };
  return (value: unknown) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Invalid("must be a mapping");
    }
    const found: InvalidPart[] = [];
    const result: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(parsers, key)) found.push({ at: "", message: `unknown setting "${key}"` });
    }
    for (const [key, parse] of Object.entries(parsers)) {
      const raw = (value as Record<string, unknown>)[key];
      if (raw === undefined || raw === null) {
        if (Object.hasOwn(required, key)) found.push({ at: `.${key}`, message: "must be given" });
        continue;
      }
      try {
        result[key] = parse(raw);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        found.push(...error.parts.map((p) => ({ at: `.${key}${p.at}`, message: p.message })));
      }
    }
    if (found.length > 0) throw Invalid.many(found);
    return result as { [K in keyof R]: ReturnType<R[K]> } & { [K in keyof O]?: ReturnType<O[K]> };
  };
}

/**
 * Reads a dotted-quad IPv4 address.
 *
 * @param value The raw value.
 * @returns The address as given.
 * @example
 * ```ts
 * ipv4("192.168.1.255"); // "192.168.1.255"
 * ```
 */
export function ipv4(value: unknown): string {
  const s = text(value);
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Invalid(`must be IPv4 addresses, not "${s}"`);
  }
  return s;
}

/**
 * Reads a fleet key, checked by {@link fleetKeyProblem}; the key never appears in a message.
 *
 * @param value The raw value.
 * @returns The key, untrimmed.
 * @example
 * ```ts
 * secret("short"); // throws: must be at least 16 characters; make one with …
 * ```
 */
export function secret(value: unknown): string {
  if (typeof value !== "string") throw new Invalid("must be a string");
  const problem = fleetKeyProblem(value);
  if (problem) throw new Invalid(`${problem}; ${FLEET_KEY_HINT}`);
  return value;
}

/** The fleet key settings, the same on the agent and the hub: never a flag for the key itself. */
export const FLEET_KEY_FIELDS = {
  fleetKey: { yaml: "fleet_key", env: "CORRAL_FLEET_KEY", parse: secret },
  fleetKeyFile: {
    yaml: "fleet_key_file",
    env: "CORRAL_FLEET_KEY_FILE",
    flag: "fleet-key-file",
    parse: text,
  },
  insecure: { yaml: "insecure", env: "CORRAL_INSECURE", flag: "insecure", parse: boolean },
} as const satisfies Record<string, Field<unknown>>;

/** Where the fleet key comes from, resolved. */
export interface FleetKeySettings {
  /** The fleet key itself, when given directly. */
  fleetKey: string | null;
  /** A file holding the fleet key, read at start. */
  fleetKeyFile: string | null;
  /** Run without a fleet key: unsigned packets, unauthenticated HTTP. */
  insecure: boolean;
}

/**
 * Settles the fleet key: a key given directly, else a key file, else systemd's credential
 * (`LoadCredential=fleet-key:…` puts it in `$CREDENTIALS_DIRECTORY/fleet-key`), else nothing,
 * which is a problem unless `insecure`.
 *
 * @param resolved What {@link resolveFields} found for {@link FLEET_KEY_FIELDS}.
 * @param env The environment, for `CREDENTIALS_DIRECTORY`.
 * @returns The settings, and the problem when there is no key (`null` when there is none).
 * @example
 * ```ts
 * resolveFleetKey({ values: {}, given: new Set() }, {}).problem; // "no fleet key: …"
 * ```
 */
export function resolveFleetKey(
  resolved: { values: FieldValues<typeof FLEET_KEY_FIELDS>; given: ReadonlySet<PropertyKey> },
  env: Readonly<Record<string, string | undefined>>,
): FleetKeySettings & { problem: string | null } {
  const { values, given } = resolved;
  const credential = env.CREDENTIALS_DIRECTORY ? `${env.CREDENTIALS_DIRECTORY}/fleet-key` : null;
  const fleetKeyFile = values.fleetKeyFile ?? (values.fleetKey ? null : credential);
  const insecure = values.insecure ?? false;
  const problem = !insecure && !given.has("fleetKey") && !fleetKeyFile
    ? `no fleet key: set CORRAL_FLEET_KEY or --fleet-key-file (${FLEET_KEY_HINT}), ` +
      "or pass --insecure on a trusted network"
    : null;
  return { fleetKey: values.fleetKey ?? null, fleetKeyFile, insecure, problem };
}
