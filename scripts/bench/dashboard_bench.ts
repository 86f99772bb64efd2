/**
 * The dashboard's budgets (issue #6), measured in Debian's Chromium against real demo fleets:
 *
 * - **Size:** the built app's JavaScript and CSS, raw and gzipped (`scripts/build_web.ts`).
 * - **First paint:** a logged-in browser opens the Fleet page of a 4-host demo (history on, so the
 *   login is real). Each run is a fresh browser context (cold cache) and then a reload (warm
 *   cache); reported: first contentful paint, and the moment every host card is on screen (the
 *   first meaningful paint), both from the page's own clock (navigation start = 0).
 * - **50 hosts:** the Fleet page of a 50-host demo (every agent sampling twice a second), watched
 *   for `seconds`: long tasks (main thread busy > 50 ms), frame intervals from
 *   `requestAnimationFrame`, and the renderer's main-thread time from the DevTools protocol
 *   (script, style, layout), next to the number of host updates the hub sent in that time.
 *
 * @module
 */

import type { Browser, Page } from "playwright-core";
import { serverSentEvents } from "../../hub/agent_link.ts";
import { buildWeb } from "../build_web.ts";
import { median } from "./agent_bench.ts";
import { quantile } from "./load.ts";
import { startDemoFleet } from "../demo_fleet.ts";
import { browserMissing, launchBrowser } from "../../tests/_browser.ts";

/** Defaults for {@link dashboardBench}. */
export const DASHBOARD_BENCH_DEFAULTS = {
  /** Hosts in the big fleet. */
  hosts: 50,
  /** Seconds the big fleet's page is watched. */
  seconds: 20,
  /** Cold and warm loads of the small fleet's page. */
  paints: 5,
};

type Options = typeof DASHBOARD_BENCH_DEFAULTS;

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const ms = (n: number) => `${Math.round(n)} ms`;

/** First contentful paint and the time every one of `hosts` cards was shown, in page time. */
async function paintTimes(page: Page, hosts: number): Promise<{ fcp: number; cards: number }> {
  // A function sent to the page as source (the dashboard's CSP forbids evaluating strings).
  const cards = await page.waitForFunction(
    (n) => {
      const { document } = globalThis as unknown as {
        document: { querySelectorAll(selector: string): { length: number } };
      };
      return document.querySelectorAll("article[data-host]").length >= n ? performance.now() : 0;
    },
    hosts,
    { polling: "raf", timeout: 15_000 },
  );
  const fcp = await page.evaluate(() =>
    performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN
  );
  return { fcp, cards: await cards.jsonValue() as number };
}

async function firstPaint(browser: Browser, runs: number): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "corral-dash-bench-" });
  await using fleet = await startDemoFleet({
    hosts: 4,
    hub: { history: { enabled: true }, data_dir: dir },
  });
  const password = "bench-password-1";
  await fleet.hub.accounts.ensureUser({ username: "admin", password, role: "admin" });
  const base = fleet.hub.controlUrl;
  const cold: { fcp: number; cards: number }[] = [];
  const warm: { fcp: number; cards: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const login = await context.request.post(`${base}/api/auth/login`, {
      data: { username: "admin", password },
      headers: { origin: base },
    });
    if (!login.ok()) throw new Error(`login failed: ${login.status()} ${await login.text()}`);
    const page = await context.newPage();
    await page.goto(`${base}/`);
    cold.push(await paintTimes(page, 4));
    await page.reload();
    warm.push(await paintTimes(page, 4));
    await context.close();
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const row = (name: string, list: { fcp: number; cards: number }[]) =>
    `| ${name} | ${ms(median(list.map((r) => r.fcp)))} | ${
      ms(median(list.map((r) => r.cards)))
    } | ${ms(Math.max(...list.map((r) => r.cards)))} |`;
  return [
    `First paint, Fleet page of a 4-host demo (history on, logged in; median of ${runs}):`,
    "",
    "| load | first contentful paint | every host card shown | worst |",
    "|---|---|---|---|",
    row("cold cache (new browser context)", cold),
    row("warm cache (reload)", warm),
  ].join("\n");
}

/** Counts the `host` events the hub's live stream sends in `seconds`. */
async function countHostEvents(base: string, seconds: number): Promise<number> {
  const response = await fetch(`${base}/api/events`, {
    signal: AbortSignal.timeout(seconds * 1000),
  });
  let count = 0;
  try {
    for await (const { event } of serverSentEvents(response.body!)) {
      if (event === "host") count++;
    }
  } catch {
    // The time is up.
  }
  return count;
}

async function bigFleet(browser: Browser, hosts: number, seconds: number): Promise<string> {
  // History off: the page is open (no accounts) and the fleet's own writes stay out of the way.
  await using fleet = await startDemoFleet({ hosts });
  const base = fleet.hub.controlUrl;
  const page = await browser.newPage({ viewport: { width: 2560, height: 1440 } });
  await page.goto(`${base}/`);
  const { cards } = await paintTimes(page, hosts);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
  await page.evaluate(`(() => {
    globalThis.longTasks = [];
    globalThis.frames = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) globalThis.longTasks.push(entry.duration);
    }).observe({ type: "longtask" });
    let last = performance.now();
    const frame = (now) => {
      globalThis.frames.push(now - last);
      last = now;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  })()`);
  const before = await metrics();
  const events = await countHostEvents(base, seconds);
  const after = await metrics();
  const { longTasks, frames } = await page.evaluate(
    "({ longTasks: globalThis.longTasks, frames: globalThis.frames })",
  ) as { longTasks: number[]; frames: number[] };
  await page.close();
  const busy = (name: string) => (after[name]! - before[name]!) * 1000;
  const window = (after.Timestamp! - before.Timestamp!) * 1000;
  const sortedFrames = [...frames].sort((a, b) => a - b);
  const over50 = frames.filter((f) => f > 50).length;
  return [
    `${hosts} hosts (agents sampling every 500 ms), Fleet page at 2560×1440, watched ${seconds} s:`,
    "",
    "| measure | value |",
    "|---|---|",
    `| every card shown after load | ${ms(cards)} |`,
    `| host updates sent by the hub | ${events} (${(events / seconds).toFixed(0)}/s) |`,
    `| main thread busy (script + style + layout) | ${ms(busy("TaskDuration"))} of ${ms(window)} (${
      (100 * busy("TaskDuration") / window).toFixed(1)
    } %): script ${ms(busy("ScriptDuration"))}, style ${ms(busy("RecalcStyleDuration"))}, layout ${
      ms(busy("LayoutDuration"))
    } |`,
    `| long tasks (> 50 ms) | ${longTasks.length}${
      longTasks.length ? `, longest ${ms(Math.max(...longTasks))}` : ""
    } |`,
    `| frame interval p50 / p99 / max | ${quantile(sortedFrames, 0.5).toFixed(1)} / ${
      quantile(sortedFrames, 0.99).toFixed(1)
    } / ${Math.max(...frames).toFixed(1)} ms (${frames.length} frames, ${over50} over 50 ms) |`,
  ].join("\n");
}

/** Runs the dashboard benchmarks; the report is Markdown. */
export async function dashboardBench(options: Partial<Options> = {}): Promise<string> {
  const o = { ...DASHBOARD_BENCH_DEFAULTS, ...options };
  const build = await buildWeb();
  const parts = [
    "### Dashboard",
    "",
    `Bundle: ${kb(build.rawBytes)} of JavaScript and CSS, **${kb(build.gzipBytes)} gzipped** ` +
    "(budget 120 KB).",
  ];
  const missing = browserMissing();
  if (missing) {
    parts.push("", `Paint and jank not measured: the benchmark ${missing}.`);
    return parts.join("\n");
  }
  const browser = await launchBrowser();
  try {
    console.error("dashboard: first paint...");
    parts.push("", await firstPaint(browser, o.paints));
    console.error(`dashboard: ${o.hosts} hosts...`);
    parts.push("", await bigFleet(browser, o.hosts, o.seconds));
  } finally {
    await browser.close();
  }
  return parts.join("\n");
}
