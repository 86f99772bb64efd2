import { barLevel } from "../fleet_model.ts";

/**
 * A thin bar filled to `fraction` (0-1): amber from `warn` and red from `bad`, or the colour
 * `level` names; empty when the value is unknown.
 */
export function Meter(props: {
  fraction: number | null;
  warn?: number;
  bad?: number;
  level?: "" | "ok" | "warn" | "bad";
  title?: string;
}) {
  const { fraction } = props;
  const width = fraction === null ? 0 : Math.max(0, Math.min(1, fraction)) * 100;
  const level = props.level ?? barLevel(fraction, props.warn, props.bad);
  return (
    <div class={`bar ${level}`} title={props.title}>
      <span style={{ width: `${width}%` }} />
    </div>
  );
}
