/**
 * Debian's Chromium driven by playwright-core, for the dashboard's browser tests and benchmarks.
 * {@link browserMissing} says why they cannot run where Chromium is not installed (they skip with
 * that message); CI installs it (`apt-get install chromium`).
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Where Debian puts Chromium; `CORRAL_CHROMIUM` overrides it. */
export const CHROMIUM = Deno.env.get("CORRAL_CHROMIUM") ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or `null` when they can. */
export function browserMissing(): string | null {
  try {
    Deno.statSync(CHROMIUM);
    return null;
  } catch {
    return `needs Chromium at ${CHROMIUM} (apt-get install chromium)`;
  }
}

/** Starts a headless Chromium (the flags TOOLCHAIN.md found to work in containers). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
      "--disable-component-update",
    ],
  });
}
