/**
 * Faults that a test can switch on at run time through `/_sim/faults`, so that the hub's
 * reliability can be tested against a host that misbehaves the way real hosts do. Each fault
 * applies to the next `count` requests that reach an Ollama route (the side endpoint is never
 * affected). All durations are real milliseconds, whatever `--speed` is.
 *
 * @module
 */

/** A request to switch faults on, as posted to `/_sim/faults`. */
export interface FaultSpec {
  /** Answer with `status` and `{"error": error}` (OpenAI-wrapped on /v1) before doing anything. */
  fail?: { count?: number; status?: number; error?: string; path?: string };
  /** Abort the connection after `after` streamed events, without a clean end. */
  cut?: { count?: number; after?: number };
  /** Wait `ms` before handling the request (before the first byte). */
  stall?: { count?: number; ms?: number };
  /** Make the next model loads take `ms` longer. */
  slow_load?: { count?: number; ms?: number };
  /** Stop listening for `ms`: connections are refused, then accepted again. */
  refuse?: { ms?: number };
}

interface Counted<T> {
  remaining: number;
  value: T;
}

/** The live fault switches of one simulator. */
export class Faults {
  fail?: Counted<{ status: number; error: string; path?: string }>;
  cut?: Counted<number>;
  stall?: Counted<number>;
  slowLoad?: Counted<number>;

  /**
   * Switches faults on; omitted kinds stay as they were.
   *
   * @returns The refusal to start, in ms, if one was asked for.
   * @throws {RangeError} For counts, statuses or durations out of range.
   */
  set(spec: FaultSpec): number | undefined {
    if (spec.fail) {
      const status = spec.fail.status ?? 500;
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new RangeError(
          `Cannot set fail: 'status' must be 400..599: current value is ${status}`,
        );
      }
      this.fail = {
        remaining: count(spec.fail.count, "fail"),
        value: { status, error: spec.fail.error ?? "simulated failure", path: spec.fail.path },
      };
    }
    if (spec.cut) {
      this.cut = {
        remaining: count(spec.cut.count, "cut"),
        value: ms(spec.cut.after ?? 1, "cut", "after"),
      };
    }
    if (spec.stall) {
      this.stall = {
        remaining: count(spec.stall.count, "stall"),
        value: ms(spec.stall.ms ?? 1000, "stall", "ms"),
      };
    }
    if (spec.slow_load) {
      this.slowLoad = {
        remaining: count(spec.slow_load.count, "slow_load"),
        value: ms(spec.slow_load.ms ?? 10_000, "slow_load", "ms"),
      };
    }
    return spec.refuse ? ms(spec.refuse.ms ?? 1000, "refuse", "ms") : undefined;
  }

  /** Switches every fault off. */
  clear(): void {
    this.fail =
      this.cut =
      this.stall =
      this.slowLoad =
        undefined;
  }

  /** Takes one injected failure for `path`, if any is armed. */
  takeFail(path: string): { status: number; error: string } | undefined {
    const only = this.fail?.value.path;
    if (!this.fail || (only && only !== path)) return undefined;
    return take(this, "fail");
  }

  /** Takes one stream cut (events before the cut), if armed. */
  takeCut(): number | undefined {
    return take(this, "cut");
  }

  /** Takes one stall (ms), if armed. */
  takeStall(): number | undefined {
    return take(this, "stall");
  }

  /** Takes one slow load (extra real ms), or 0. */
  takeSlowLoad(): number {
    return take(this, "slowLoad") ?? 0;
  }

  /** The armed faults, for `GET /_sim/faults`. */
  snapshot(): Record<string, unknown> {
    return { fail: this.fail, cut: this.cut, stall: this.stall, slow_load: this.slowLoad };
  }
}

function take<K extends "fail" | "cut" | "stall" | "slowLoad">(
  faults: Faults,
  key: K,
): NonNullable<Faults[K]>["value"] | undefined {
  const armed = faults[key];
  if (!armed) return undefined;
  armed.remaining--;
  if (armed.remaining <= 0) faults[key] = undefined;
  return armed.value as NonNullable<Faults[K]>["value"];
}

function count(value: number | undefined, kind: string): number {
  const n = value ?? 1;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(
      `Cannot set ${kind}: 'count' must be a positive integer: current value is ${n}`,
    );
  }
  return n;
}

function ms(value: number, kind: string, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot set ${kind}: '${field}' must be a number >= 0: current value is ${value}`,
    );
  }
  return value;
}
