/**
 * The app: the auth gate, the shell (top bar and navigation) and the router. A hub with accounts
 * and no session shows the login page; a hub with no admin yet shows the setup page; everyone else
 * gets the dashboard, fed by the live stream while it is open.
 *
 * @module
 */

import { useSignalEffect } from "@preact/signals";
import { ErrorNotice } from "./components/error_notice.tsx";
import { TopBar } from "./components/top_bar.tsx";
import { Toasts } from "./components/toasts.tsx";
import { startLive, stopLive } from "./live.ts";
import { FleetPage } from "./pages/fleet.tsx";
import { HistoryPage } from "./pages/history.tsx";
import { LoginPage } from "./pages/login.tsx";
import { ModelsPage } from "./pages/models.tsx";
import { NotFoundPage } from "./pages/not_found.tsx";
import { SettingsPage } from "./pages/settings.tsx";
import { SetupPage } from "./pages/setup.tsx";
import { currentUrl, navigate, type Route, routeOf } from "./router.ts";
import { authState, loadSession, me, sessionKnown } from "./session.ts";

/** What the gate decides: show this page, or go to another path first. */
type Gate = { show: Route } | { redirect: string };

function gate(route: Route): Gate {
  const state = authState.value!;
  const here = currentUrl.value.path + currentUrl.value.search;
  if (state.setupNeeded) {
    return route === "setup" ? { show: "setup" } : { redirect: "/setup" };
  }
  if (state.accounts && !me.value) {
    if (route === "login") return { show: "login" };
    return { redirect: here === "/" ? "/login" : `/login?next=${encodeURIComponent(here)}` };
  }
  if (route === "login" || route === "setup") return { redirect: "/" };
  return { show: route };
}

function Page(props: { route: Route }) {
  switch (props.route) {
    case "fleet":
      return <FleetPage />;
    case "models":
      return <ModelsPage />;
    case "history":
      return <HistoryPage />;
    case "settings":
      return <SettingsPage />;
    default:
      return <NotFoundPage />;
  }
}

/** The whole dashboard. */
export function App() {
  const known = sessionKnown.value;
  const state = authState.value;
  const decision = known && state ? gate(routeOf(currentUrl.value.path)) : null;

  useSignalEffect(() => {
    const d = sessionKnown.value && authState.value ? gate(routeOf(currentUrl.value.path)) : null;
    if (d && "redirect" in d) navigate(d.redirect, { replace: true });
  });
  useSignalEffect(() => {
    const signedIn = authState.value !== null && !authState.value.setupNeeded &&
      (!authState.value.accounts || me.value !== null);
    if (signedIn) startLive();
    else stopLive();
  });

  if (!known) return <div class="splash">Connecting to the hub…</div>;
  if (!state) {
    return (
      <div class="splash">
        <ErrorNotice
          error="The hub cannot be reached"
          onRetry={() => {
            sessionKnown.value = false;
            void loadSession();
          }}
        />
      </div>
    );
  }
  if (!decision || "redirect" in decision) return null;
  if (decision.show === "login") return <LoginPage />;
  if (decision.show === "setup") return <SetupPage />;
  return (
    <>
      <TopBar />
      <main class="page">
        <Page route={decision.show} />
      </main>
      <Toasts />
    </>
  );
}
