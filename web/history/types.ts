/**
 * The answers of the hub's history API, as the dashboard reads them: the contract lives in
 * `shared/history_api.ts`, shared with the hub's queries. Series times are epoch seconds, event and
 * request times epoch milliseconds.
 *
 * @module
 */

export type {
  AlignedData,
  Facets,
  FleetMetricResult,
  GpuSeries,
  GroupRef,
  HistoryHost,
  HostMetricsResult,
  HostRef,
  MetricTable,
  MetricUnit,
  ModelEventKind,
  ModelEventPage,
  ModelEventView,
  RequestPage,
  RequestView,
  ServerEventKind,
  ServerEventPage,
  ServerEventView,
  Source,
  UsageBy,
  UsageField,
  UsageResult,
} from "../../shared/history_api.ts";
