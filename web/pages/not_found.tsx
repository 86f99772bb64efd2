import { Link } from "../components/link.tsx";
import { currentUrl } from "../router.ts";

/** The page for a path the dashboard does not have. */
export function NotFoundPage() {
  return (
    <div class="empty">
      <h1>Nothing here</h1>
      <p class="muted">
        The dashboard has no page at <code>{currentUrl.value.path}</code>.
      </p>
      <Link href="/" class="btn">Back to the fleet</Link>
    </div>
  );
}
