import { clock } from "../clock.ts";
import { duration } from "../format.ts";
import { fleet } from "../store.ts";

/** A year: expiry times further away than this mean "kept loaded for ever" (`keep_alive: -1`). */
const FOREVER_MS = 365 * 24 * 3600_000;

/** Time left until `until` (ms, by the hub's clock), ticking every second. */
export function Countdown(props: { until: number | null }) {
  void clock.value; // Re-render every tick.
  if (props.until === null || !Number.isFinite(props.until)) return <span>–</span>;
  const left = props.until - fleet.now();
  if (left > FOREVER_MS) return <span title="Kept loaded until unloaded">∞</span>;
  return <span class="num">{left <= 0 ? "now" : duration(left)}</span>;
}
