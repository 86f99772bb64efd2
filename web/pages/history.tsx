/**
 * The History page (`/history`): usage over a chosen range (by model, host or key), host metrics,
 * the model and host event timeline, and the request audit log with filters. What the user picks
 * is kept in the address bar, so a link opens the same view; dragging across a chart zooms every
 * section to that span.
 *
 * @module
 */

import "../history/history.css";
import { useEffect, useMemo, useState } from "preact/hooks";
import { AuditLog } from "../history/audit_log.tsx";
import { ModelEventTable, ServerEventTable } from "../history/event_tables.tsx";
import { type HistoryState, readState, writeState } from "../history/filters.ts";
import { HostsSection } from "../history/hosts_section.tsx";
import { chooseStep, rangeLabel, resolveRange, stepLabel } from "../history/range.ts";
import { RangePicker } from "../history/range_picker.tsx";
import { TimelineChart } from "../history/timeline_chart.tsx";
import type { HistoryHost } from "../history/types.ts";
import { useApi } from "../history/use_api.ts";
import { UsageSection } from "../history/usage_section.tsx";
import { currentUrl } from "../router.ts";

/** The History page. */
export function HistoryPage() {
  const [state, setState] = useState<HistoryState>(() => readState(location.search));
  // Bumped by the refresh button: a preset range then ends at the new now.
  const [reload, setReload] = useState(0);
  const range = useMemo(() => resolveRange(state.range, Date.now()), [state.range, reload]);
  const step = chooseStep(range, { now: Date.now() });

  // Back, forward and the navigation's own link change the address: follow it.
  const url = currentUrl.value;
  useEffect(() => {
    const wanted = readState(location.search);
    setState((s) => writeState(s) === writeState(wanted) ? s : wanted);
  }, [url]);

  useEffect(() => {
    const wanted = writeState(state);
    if (wanted !== location.search) {
      history.replaceState(history.state, "", `${location.pathname}${wanted}`);
    }
  }, [state]);

  const update = (change: Partial<HistoryState>) => setState((s) => ({ ...s, ...change }));
  const zoom = (span: { from: number; to: number }) =>
    update({ range: { kind: "custom", ...span } });
  const hosts = useApi<{ hosts: HistoryHost[] }>("/api/history/hosts", reload);

  if (hosts.error?.status === 404) {
    return (
      <div class="history">
        <div class="page-head">
          <h1>History</h1>
        </div>
        <div class="notice warn">
          This hub records no history: it was started with <code>--no-history</code> or{" "}
          <code>history.enabled: false</code>. Usage, metrics, events and the request log appear
          here once history is on.
        </div>
      </div>
    );
  }

  return (
    <div class="history">
      <div class="page-head history-head">
        <div>
          <h1>History</h1>
          <span class="muted">
            {rangeLabel(state.range)} · {stepLabel(step)} buckets
          </span>
        </div>
        <RangePicker
          value={state.range}
          onChange={(choice) => update({ range: choice })}
          onRefresh={() => setReload((n) => n + 1)}
        />
      </div>
      {hosts.error?.status === 503 && <div class="notice warn">{hosts.error.message}</div>}
      <UsageSection
        range={range}
        step={step}
        by={state.by}
        onBy={(by) => update({ by })}
        reload={reload}
        onZoom={zoom}
      />
      <HostsSection
        range={range}
        step={step}
        host={state.host}
        onHost={(host) => update({ host })}
        hosts={hosts}
        reload={reload}
        onZoom={zoom}
      />
      <section class="history-section">
        <div class="section-head">
          <h2>Events</h2>
          <span class="faint">models loaded over time, and each host's state</span>
        </div>
        <div class="panel">
          <TimelineChart range={range} reload={reload} />
        </div>
        <div class="event-tables">
          <div class="panel">
            <h3>Model events</h3>
            <ModelEventTable range={range} reload={reload} />
          </div>
          <div class="panel">
            <h3>Host events</h3>
            <ServerEventTable range={range} reload={reload} />
          </div>
        </div>
      </section>
      <AuditLog
        range={range}
        filters={state.filters}
        onFilters={(filters) => update({ filters })}
        reload={reload}
      />
    </div>
  );
}
