import type { HostView } from "../../shared/dashboard.ts";

const CLASS: Record<HostView["status"], string> = {
  online: "ok",
  degraded: "warn",
  offline: "bad",
  draining: "info",
  maintenance: "info",
};

/** A host's status as a coloured badge with a dot. */
export function StatusBadge(props: { status: HostView["status"] }) {
  return (
    <span class={`badge ${CLASS[props.status]}`}>
      <i class="dot" />
      {props.status}
    </span>
  );
}
