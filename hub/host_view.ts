/**
 * A host as the control plane and the dashboard show it: the registry's record with what the
 * router decided about it (free VRAM, hot, low memory, disk full) and the hub's own in-flight count.
 *
 * @module
 */

import type { HostView } from "../shared/dashboard.ts";
import type { HostRecord } from "./host.ts";
import type { InFlightTable } from "./in_flight.ts";

/** The {@link HostView} of `host` now. */
export function hostView(host: HostRecord, inFlight: InFlightTable): HostView {
  const { route } = host;
  return {
    id: host.id,
    name: host.name,
    kind: host.kind,
    url: host.url,
    source: host.source,
    status: host.status,
    since: host.since,
    reason: host.reason,
    lastSeen: host.lastSeen,
    inFlight: inFlight.total(host.id),
    freeVram: route.freeVram,
    totalVram: route.totalVram,
    hot: route.hot,
    lowMemory: route.lowMemory,
    diskFull: route.diskFull,
    snapshot: host.snapshot,
  };
}
