import type { ComponentChildren } from "preact";
import { authState } from "../session.ts";

/** The centred card of the login and setup pages, with Corral's mark and the hub's name. */
export function AuthCard(props: { title: string; children: ComponentChildren }) {
  const hub = authState.value?.hub;
  return (
    <div class="auth-page">
      <div class="auth-card panel">
        <div class="auth-brand">
          <svg viewBox="0 0 16 16" width="28" height="28" aria-hidden="true">
            <rect x="1" y="1" width="14" height="14" rx="3" fill="var(--accent)" />
            <path d="M4 5h8M4 8h8M4 11h8" stroke="var(--bg)" stroke-width="1.6" />
          </svg>
          <div>
            <div class="auth-name">Corral</div>
            {hub && <div class="faint">{hub.name} · v{hub.version}</div>}
          </div>
        </div>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </div>
  );
}
