/**
 * `<RequestDetail>`: one logged request in a dialog: where it was routed and why, in sentences,
 * then every field the hub recorded.
 *
 * @module
 */

import { Modal } from "../components/modal.tsx";
import { bytes, dateTime, duration } from "../format.ts";
import type { AuditFilters } from "./filters.ts";
import { explainRequest, parseRoute, ROUTE_REASONS, statusTone } from "./routing.ts";
import type { RequestView } from "./types.ts";

/** What the dialog shows and can do. */
export interface RequestDetailProps {
  request: RequestView;
  onClose: () => void;
  /** Narrows the audit log to one of this request's values. */
  onFilter: (filters: AuditFilters) => void;
}

function ms(value: number | null): string {
  return value === null ? "–" : duration(value);
}

function count(value: number | null): string {
  return value === null ? "–" : value.toLocaleString("en");
}

/** The request dialog. */
export function RequestDetail(props: RequestDetailProps) {
  const { request: r, onClose, onFilter } = props;
  const fields: [string, string][] = [
    ["Time", dateTime(r.time)],
    ["Status", r.error ? `${r.status} (with an error)` : String(r.status)],
    ["Model", r.model ?? "–"],
    ["Host", r.host ? `${r.host.name} (${r.host.id})` : "none"],
    ["Route reason", r.route ? `${r.route}` : "–"],
    ["Attempts", String(r.attempts)],
    ["Queued", r.queuedMs === null ? "no" : ms(r.queuedMs)],
    ["Stream", r.stream === null ? "–" : r.stream ? "yes" : "no"],
    ["Prompt tokens", count(r.promptTokens)],
    ["Completion tokens", count(r.completionTokens)],
    ["First byte", ms(r.ttfbMs)],
    ["Duration", ms(r.durationMs)],
    ["Model load", ms(r.loadMs)],
    ["Bytes in / out", `${bytes(r.bytesIn)} / ${bytes(r.bytesOut)}`],
    ["API key", r.apiKey ?? "none"],
    ["Client", r.client ?? "–"],
    ["Hub", r.hub],
    ["Request id", r.id],
  ];

  return (
    <Modal title={`${r.method} ${r.endpoint}`} onClose={onClose} wide>
      <div class="request-detail">
        <div class="detail-head">
          <span class={`badge ${statusTone(r)}`}>{r.error ? `${r.status}, error` : r.status}</span>
          <span class="muted">{dateTime(r.time)}</span>
          {r.model && <span class="mono">{r.model}</span>}
        </div>
        <div class="route-story">
          <h3>Routing</h3>
          {explainRequest(r).map((line, i) => <p key={i}>{line}</p>)}
          {r.route && ROUTE_REASONS[parseRoute(r.route).reason] && (
            <p class="faint">
              The router prefers, in order: a host with the model loaded, with the request's
              context, and a free slot; one with it loaded but busy when waiting beats loading
              elsewhere; one with it on disk where the load costs least, counting what it evicts;
              then one to pull it to. Another copy of a model is loaded only for sustained demand.
            </p>
          )}
        </div>
        {r.error && <div class="notice bad mono">{r.error}</div>}
        <dl class="fields">
          {fields.map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd class={name === "Request id" || name === "Client" ? "mono" : "num"}>{value}</dd>
            </div>
          ))}
        </dl>
        <div class="row detail-actions">
          <span class="faint">Show only requests with the same</span>
          {r.host && (
            <button
              type="button"
              class="btn small"
              onClick={() => onFilter({ host: r.host!.id })}
            >
              host
            </button>
          )}
          {r.model && (
            <button
              type="button"
              class="btn small"
              onClick={() => onFilter({ model: r.model! })}
            >
              model
            </button>
          )}
          {r.apiKey && (
            <button
              type="button"
              class="btn small"
              onClick={() => onFilter({ key: r.apiKey! })}
            >
              key
            </button>
          )}
          <button
            type="button"
            class="btn small"
            onClick={() => onFilter({ endpoint: r.endpoint })}
          >
            endpoint
          </button>
        </div>
      </div>
    </Modal>
  );
}
