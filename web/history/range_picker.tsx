/**
 * `<RangePicker>`: the History page's time range, as a row of presets and a custom span typed
 * into two date-time fields, with a refresh button that moves a preset's end to now.
 *
 * @module
 */

import { useState } from "preact/hooks";
import {
  checkCustom,
  PRESETS,
  type RangeChoice,
  rangeLabel,
  resolveRange,
  toLocalInput,
} from "./range.ts";

/** What the picker shows and reports. */
export interface RangePickerProps {
  value: RangeChoice;
  onChange: (choice: RangeChoice) => void;
  onRefresh: () => void;
  /** Whether something is loading (the refresh button spins). */
  busy?: boolean;
}

/** The range picker. */
export function RangePicker(props: RangePickerProps) {
  const { value, onChange } = props;
  const [editing, setEditing] = useState(false);
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [error, setError] = useState<string | null>(null);

  function openCustom() {
    const span = resolveRange(value, Date.now());
    setFrom(toLocalInput(span.from));
    setTo(toLocalInput(span.to));
    setError(null);
    setEditing(true);
  }

  function apply(event: Event) {
    event.preventDefault();
    const checked = checkCustom(from, to);
    if ("error" in checked) return setError(checked.error);
    setEditing(false);
    onChange({ kind: "custom", ...checked });
  }

  return (
    <div class="range-picker">
      <div class="segmented" role="group" aria-label="Time range">
        {PRESETS.map((p) => (
          <button
            type="button"
            key={p.id}
            class={value.kind === "preset" && value.preset === p.id ? "on" : ""}
            title={p.long}
            onClick={() => onChange({ kind: "preset", preset: p.id })}
          >
            {p.label}
          </button>
        ))}
        <button
          type="button"
          class={value.kind === "custom" ? "on" : ""}
          onClick={openCustom}
          aria-expanded={editing}
        >
          {value.kind === "custom" ? rangeLabel(value) : "Custom…"}
        </button>
      </div>
      <button
        type="button"
        class={`btn small refresh${props.busy ? " busy" : ""}`}
        onClick={props.onRefresh}
        title="Read again, up to now"
        aria-label="Refresh"
      >
        ↻
      </button>
      {editing && (
        <form class="range-custom panel" onSubmit={apply}>
          <div class="row">
            <div>
              <label for="range-from">From</label>
              <input
                id="range-from"
                type="datetime-local"
                value={from}
                onInput={(e) => setFrom(e.currentTarget.value)}
              />
            </div>
            <div>
              <label for="range-to">To</label>
              <input
                id="range-to"
                type="datetime-local"
                value={to}
                onInput={(e) => setTo(e.currentTarget.value)}
              />
            </div>
          </div>
          {error && <div class="error-text">{error}</div>}
          <div class="row range-custom-actions">
            <span class="faint">Tip: drag across any chart to zoom in.</span>
            <button type="button" class="btn small" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button type="submit" class="btn small primary">Apply</button>
          </div>
        </form>
      )}
    </div>
  );
}
