/**
 * `GET /api/settings`: what the dashboard's Settings page shows about this hub. The fleet key is
 * never sent, only a fingerprint to compare with the key file on a host (`sha256sum` of the same
 * label and key; see {@link fleetKeyFingerprint}).
 *
 * @module
 */

import type { SettingsView } from "../shared/dashboard.ts";
import { sha256Hex } from "../shared/encoding.ts";
import { CORRAL_VERSION } from "../shared/version.ts";
import { apiKeysRequired, type HubConfig } from "./config.ts";

/** The label hashed with the key, so the fingerprint is not a plain SHA-256 of the key. */
const FINGERPRINT_LABEL = "corral fleet key fingerprint\n";

/**
 * The first 16 hex digits of SHA-256 of the label and the key: shows which key a hub holds without
 * showing the key. On a host: `printf 'corral fleet key fingerprint\n%s' "$KEY" | sha256sum`.
 */
export async function fleetKeyFingerprint(key: string): Promise<string> {
  return (await sha256Hex(FINGERPRINT_LABEL + key)).slice(0, 16);
}

/** What {@link settingsView} reads. */
export interface SettingsSource {
  config: HubConfig;
  name: string;
  fleetKey: string | null;
  dataUrl: string;
  controlUrl: string;
  /** The history database's kind, or `null` when history is off. */
  backend: "postgres" | "pglite" | null;
}

/** The Settings page's view of the hub. */
export async function settingsView(source: SettingsSource): Promise<SettingsView> {
  const { config } = source;
  return {
    hub: {
      name: source.name,
      version: CORRAL_VERSION,
      dataUrl: source.dataUrl,
      controlUrl: source.controlUrl,
    },
    apiKeysRequired: apiKeysRequired(config),
    fleetKey: {
      present: source.fleetKey !== null,
      fingerprint: source.fleetKey ? await fleetKeyFingerprint(source.fleetKey) : null,
    },
    history: {
      enabled: source.backend !== null,
      backend: source.backend,
      retentionMs: config.history.rawRetentionMs,
      rollupRetentionMs: config.history.rollupRetentionMs,
      sampleIntervalMs: config.history.sampleIntervalMs,
    },
  };
}
