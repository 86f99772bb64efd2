import { connection } from "../live.ts";

/** A notice while the live stream is down: what is on screen may be stale. */
export function LiveNotice() {
  if (connection.value !== "reconnecting") return null;
  return (
    <div class="notice warn" role="status">
      The live stream to the hub dropped; reconnecting. Figures on screen may be out of date.
    </div>
  );
}
