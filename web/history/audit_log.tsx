/**
 * `<AuditLog>`: the request log of the range, newest first, with filters (host, model, key,
 * status, endpoint; the time is the page's range) and "load more". Clicking a row opens the
 * request, with where it was routed and why.
 *
 * @module
 */

import "./logs.css";
import { useState } from "preact/hooks";
import { query } from "../api.ts";
import { dateTime, duration } from "../format.ts";
import {
  type AuditFilters,
  cleanFilters,
  ENDPOINTS,
  filterCount,
  requestsUrl,
  STATUS_CHOICES,
} from "./filters.ts";
import type { TimeRange } from "./range.ts";
import { RequestDetail } from "./request_detail.tsx";
import { routeShort, statusTone } from "./routing.ts";
import type { Facets, RequestPage, RequestView } from "./types.ts";
import { logTime, shortNumber } from "./units.ts";
import { useApi } from "./use_api.ts";
import { usePaged } from "./use_paged.ts";
import { PagedTable } from "./paged_table.tsx";

/** Requests per page. */
const PAGE = 30;

/** What the audit log reads. */
export interface AuditLogProps {
  range: TimeRange;
  filters: AuditFilters;
  onFilters: (filters: AuditFilters) => void;
  reload: number;
}

function tokens(r: RequestView): string {
  if (r.promptTokens === null && r.completionTokens === null) return "";
  return `${shortNumber(r.promptTokens ?? 0)} → ${shortNumber(r.completionTokens ?? 0)}`;
}

function Select(props: {
  label: string;
  value: string | undefined;
  onChange: (value: string) => void;
  options: readonly { value: string; label: string }[];
}) {
  const known = props.options.some((o) => o.value === props.value);
  return (
    <div class="filter">
      <label>{props.label}</label>
      <select
        aria-label={props.label}
        value={props.value ?? ""}
        onChange={(e) => props.onChange(e.currentTarget.value)}
        class={props.value ? "set" : ""}
      >
        <option value="">Any</option>
        {props.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
        {props.value && !known && <option value={props.value}>{props.value}</option>}
      </select>
    </div>
  );
}

/** The audit log. */
export function AuditLog(props: AuditLogProps) {
  const { range, filters, onFilters } = props;
  const clean = cleanFilters(filters);
  const [open, setOpen] = useState<RequestView | null>(null);
  const [endpoint, setEndpoint] = useState(clean.endpoint ?? "");
  const facets = useApi<Facets>(
    `/api/history/facets${query({ from: range.from, to: range.to })}`,
    props.reload,
  );
  const key = `${range.from}|${range.to}|${props.reload}|${JSON.stringify(clean)}`;
  const paged = usePaged<RequestView, RequestPage>(
    (cursor) => requestsUrl(clean, { range, cursor, limit: PAGE }),
    key,
    (a) => ({ items: a.requests, next: a.next }),
  );
  const set = (name: keyof AuditFilters) => (value: string) =>
    onFilters({ ...clean, [name]: value || undefined });
  const f = facets.data;
  const now = Date.now();

  return (
    <section class="history-section">
      <div class="section-head">
        <h2>Request log</h2>
        <span class="faint">
          every request through the hub in the range above · click one to see how it was routed
        </span>
      </div>
      <div class="panel audit">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            set("endpoint")(endpoint.trim());
          }}
        >
          <Select
            label="Host"
            value={clean.host}
            onChange={set("host")}
            options={(f?.hosts ?? []).map((h) => ({ value: h.id, label: h.name }))}
          />
          <Select
            label="Model"
            value={clean.model}
            onChange={set("model")}
            options={(f?.models ?? []).map((m) => ({ value: m, label: m }))}
          />
          <Select
            label="API key"
            value={clean.key}
            onChange={set("key")}
            options={(f?.keys ?? []).map((k) => ({ value: k, label: k }))}
          />
          <Select
            label="Status"
            value={clean.status}
            onChange={set("status")}
            options={STATUS_CHOICES}
          />
          <div class="filter">
            <label for="audit-endpoint">Endpoint</label>
            <input
              id="audit-endpoint"
              list="audit-endpoints"
              placeholder="/api/chat"
              value={endpoint}
              class={clean.endpoint ? "set" : ""}
              onInput={(e) => setEndpoint(e.currentTarget.value)}
              onChange={(e) => set("endpoint")(e.currentTarget.value.trim())}
            />
            <datalist id="audit-endpoints">
              {ENDPOINTS.map((p) => <option key={p} value={p} />)}
            </datalist>
          </div>
          <div class="filter grow">
            {filterCount(clean) > 0 && (
              <button
                type="button"
                class="btn small"
                onClick={() => {
                  setEndpoint("");
                  onFilters({});
                }}
              >
                Clear filters
              </button>
            )}
          </div>
        </form>
        <PagedTable
          paged={paged}
          tableClass="audit-table"
          empty={filterCount(clean) > 0
            ? "No request matches these filters in this range"
            : "No requests in this range"}
          count={(n) => `${n} request${n === 1 ? "" : "s"} shown`}
          head={
            <tr>
              <th>Time</th>
              <th>Status</th>
              <th>Endpoint</th>
              <th>Model</th>
              <th>Host</th>
              <th>Route</th>
              <th>Key</th>
              <th class="right">Tokens in → out</th>
              <th class="right">First byte</th>
              <th class="right">Duration</th>
            </tr>
          }
          row={(r) => (
            <tr
              key={r.id}
              class="clickable"
              tabIndex={0}
              onClick={() => setOpen(r)}
              onKeyDown={(e) => e.key === "Enter" && setOpen(r)}
            >
              <td class="num nowrap" title={dateTime(r.time)}>{logTime(r.time, now)}</td>
              <td>
                <span class={`badge ${statusTone(r)}`} title={r.error ?? undefined}>
                  {r.status}
                </span>
              </td>
              <td class="mono">{r.endpoint}</td>
              <td class="mono">{r.model ?? ""}</td>
              <td>{r.host?.name ?? <span class="faint">none</span>}</td>
              <td>
                {r.route && <span class="route">{routeShort(r.route)}</span>}
                {r.attempts > 1 && <span class="badge warn">×{r.attempts}</span>}
              </td>
              <td>{r.apiKey ?? ""}</td>
              <td class="num right">{tokens(r)}</td>
              <td class="num right">{r.ttfbMs === null ? "" : duration(r.ttfbMs)}</td>
              <td class="num right">{r.durationMs === null ? "" : duration(r.durationMs)}</td>
            </tr>
          )}
        />
      </div>
      {open && (
        <RequestDetail
          request={open}
          onClose={() => setOpen(null)}
          onFilter={(extra) => {
            setOpen(null);
            if (extra.endpoint) setEndpoint(extra.endpoint);
            onFilters({ ...clean, ...extra });
          }}
        />
      )}
    </section>
  );
}
