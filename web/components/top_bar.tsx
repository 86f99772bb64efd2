import { connection } from "../live.ts";
import { currentUrl, NAV, routeOf } from "../router.ts";
import { authState, logout, me } from "../session.ts";
import { fleet } from "../store.ts";
import { Link } from "./link.tsx";

const CONNECTION_TEXT = {
  off: "offline",
  connecting: "connecting",
  live: "live",
  reconnecting: "reconnecting",
} as const;

/** The live stream's state: a dot and a word. */
function ConnectionIndicator() {
  const state = connection.value;
  const title = state === "live"
    ? "Connected: changes appear as they happen"
    : state === "reconnecting"
    ? "The live stream dropped; reconnecting (what you see may be stale)"
    : "Connecting to the live stream";
  return (
    <span class={`conn ${state}`} title={title}>
      <i class="dot" />
      {CONNECTION_TEXT[state]}
    </span>
  );
}

/** The user and role, and logout; on a hub without accounts, a note that it is open. */
function UserMenu() {
  const user = me.value?.user;
  if (!user) {
    return authState.value?.accounts === false
      ? (
        <span
          class="badge warn"
          title="This hub keeps no accounts: anyone who reaches it is an admin"
        >
          open hub
        </span>
      )
      : null;
  }
  return (
    <span class="user">
      <span class="user-name">{user.username}</span>
      <span class={`badge ${user.role === "admin" ? "info" : ""}`}>{user.role}</span>
      <button type="button" class="btn small ghost" onClick={() => void logout()}>Log out</button>
    </span>
  );
}

/** The bar across the top: Corral, the pages, the hub, the live indicator and the user. */
export function TopBar() {
  const route = routeOf(currentUrl.value.path);
  const hub = fleet.hub.value ?? authState.value?.hub;
  return (
    <header class="topbar">
      <Link href="/" class="brand">
        <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
          <rect x="1" y="1" width="14" height="14" rx="3" fill="var(--accent)" />
          <path d="M4 5h8M4 8h8M4 11h8" stroke="var(--bg)" stroke-width="1.6" />
        </svg>
        Corral
      </Link>
      <nav class="nav">
        {NAV.map((item) => (
          <Link
            key={item.path}
            href={item.path}
            class={item.route === route ? "active" : undefined}
          >
            {item.label}
          </Link>
        ))}
      </nav>
      <span class="spacer" />
      {hub && (
        <span class="hub-name" title={`Corral hub ${hub.version}`}>
          {hub.name}
          <span class="faint">v{hub.version}</span>
        </span>
      )}
      <ConnectionIndicator />
      <UserMenu />
    </header>
  );
}
