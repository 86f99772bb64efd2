import { useComputed, useSignal } from "@preact/signals";
import { FleetTotals } from "../components/fleet_totals.tsx";
import { HostCard } from "../components/host_card.tsx";
import { HostDetails } from "../components/host_details.tsx";
import { LiveNotice } from "../components/live_notice.tsx";
import { fleet } from "../store.ts";

/**
 * The Fleet page: the totals, then a card per host, those that need attention first. The list
 * re-renders only when hosts come, go or change rank; each card re-renders on its own host's
 * events.
 */
export function FleetPage() {
  const filter = useSignal("");
  const open = useSignal<string | null>(null);
  const shown = useComputed(() => {
    const text = filter.value.trim().toLowerCase();
    const order = fleet.order.value;
    if (!text) return order;
    return order.filter((id) => fleet.host(id)?.peek().name.toLowerCase().includes(text));
  });
  const onOpen = (id: string) => open.value = id;

  if (!fleet.ready.value) {
    return (
      <>
        <LiveNotice />
        <div class="empty muted">Waiting for the fleet…</div>
      </>
    );
  }
  const total = fleet.hostIds.value.length;
  return (
    <>
      <div class="page-head">
        <h1>Fleet</h1>
        <input
          type="search"
          class="filter"
          placeholder="Filter hosts"
          aria-label="Filter hosts by name"
          value={filter.value}
          onInput={(e) => filter.value = e.currentTarget.value}
        />
      </div>
      <LiveNotice />
      <FleetTotals />
      {total === 0
        ? (
          <div class="empty panel">
            <h2>No hosts yet</h2>
            <p class="muted">
              Start <code>corral-agent</code>{" "}
              on a GPU machine with the fleet key: it announces itself and appears here within
              seconds.
            </p>
          </div>
        )
        : shown.value.length === 0
        ? <div class="empty muted">No host matches “{filter.value}”.</div>
        : (
          <div class="host-grid">
            {shown.value.map((id) => {
              const host = fleet.host(id);
              return host && <HostCard key={id} host={host} onOpen={onOpen} />;
            })}
          </div>
        )}
      {open.value && <HostDetails id={open.value} onClose={() => open.value = null} />}
    </>
  );
}
