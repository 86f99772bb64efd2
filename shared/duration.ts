/**
 * Go durations and Ollama's `keep_alive`, parsed as Ollama parses them (`api.Duration` in
 * ollama/api/types.go, Go's `time.ParseDuration`).
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A keep_alive that never expires, as Ollama stores a negative value. */
export const FOREVER = Number.POSITIVE_INFINITY;

/**
 * Parses a Go duration string such as `300ms`, `1h30m` or `-1m`.
 *
 * @param text The duration.
 * @returns The duration in milliseconds.
 * @throws {SyntaxError} With Go's own message, e.g. `time: missing unit in duration "300"`.
 * @example
 * ```ts
 * parseGoDuration("1h30m"); // 5_400_000
 * ```
 */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new SyntaxError(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== "") {
    const number = /^(\d*)(\.\d*)?/.exec(rest)![0];
    if (number === "" || number === ".") throw new SyntaxError(`time: invalid duration ${quoted}`);
    rest = rest.slice(number.length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === "") throw new SyntaxError(`time: missing unit in duration ${quoted}`);
    const scale = UNIT_MS[unit];
    if (scale === undefined) {
      throw new SyntaxError(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    }
    rest = rest.slice(unit.length);
    total += Number(number) * scale;
  }
  return sign * total;
}

/**
 * Reads a request's `keep_alive` the way Ollama does: a JSON number is seconds, a string is a Go
 * duration, and any negative value means "keep loaded forever".
 *
 * @param value The raw JSON value; `undefined` or `null` means "not given".
 * @returns Milliseconds, {@link FOREVER}, or `undefined` when not given.
 * @throws {SyntaxError} For a unitless or malformed string, or a value of another JSON type.
 * @example
 * ```ts
 * parseKeepAlive("10m"); // 600_000
 * parseKeepAlive(-1); // Infinity
 * ```
 */
export function parseKeepAlive(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  let ms: number;
  if (typeof value === "number" && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === "string") ms = parseGoDuration(value);
  else throw new SyntaxError(`Unsupported type: '${goTypeOf(value)}'`);
  return ms < 0 ? FOREVER : ms;
}

/** Names a JSON value's type as Go's `reflect.TypeOf` would after `json.Unmarshal` into `any`. */
export function goTypeOf(value: unknown): string {
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return "float64";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "[]interface {}";
  return "map[string]interface {}";
}
