/**
 * The dashboard as operators use it, in Debian's Chromium against a demo fleet (four simulated
 * hosts behind real agents, history in PGlite, real accounts): log in, see every host, load and
 * unload a model from the Models page and see the Fleet cards change, History's charts drawn and
 * the audit log filtered and explained, log out; a viewer gets no actions and the API refuses
 * them too. Each page's layout must hold (no sideways scrolling) at laptop and wide-screen sizes.
 *
 * Set `CORRAL_SCREENSHOTS=<dir>` to keep a screenshot of every page at both sizes.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { startDemoFleet } from "../scripts/demo_fleet.ts";
import { browserMissing, launchBrowser } from "./_browser.ts";

const missing = browserMissing();
if (missing) console.log(`skipping the dashboard's browser tests: they ${missing}`);

const SIZES = { laptop: { width: 1440, height: 900 }, wide: { width: 2560, height: 1440 } };
const SHOTS = Deno.env.get("CORRAL_SCREENSHOTS");
const ADMIN = { username: "admin", password: "admin-password-1" };
const VIEWER = { username: "watcher", password: "viewer-password-1" };

/** No sideways scrolling, and a screenshot when asked for. */
async function layoutHolds(page: Page, name: string): Promise<void> {
  for (const [size, viewport] of Object.entries(SIZES)) {
    await page.setViewportSize(viewport);
    // Let the charts' ResizeObservers and the layout settle.
    await page.waitForTimeout(300);
    const overflow = await page.evaluate(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    ) as number;
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${size}`);
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}-${size}.png`, fullPage: true });
  }
  await page.setViewportSize(SIZES.laptop);
}

async function logIn(page: Page, base: string, who: typeof ADMIN): Promise<void> {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/login/);
  await page.fill("#login-user", who.username);
  await page.fill("#login-password", who.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("article[data-host]");
}

/**
 * The few browser globals the in-page checks use. They are functions that Playwright sends to the
 * page as source (the dashboard's CSP forbids evaluating strings), type-checked here as Deno code.
 */
interface InPage {
  document: {
    querySelector(selector: string): InPageElement | null;
    querySelectorAll(selector: string): Iterable<InPageElement>;
  };
}
interface InPageElement {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): InPageElement | null;
}

/** Whether the element `selector` shows `text` (`shows: false`: does not). */
function cardShows({ selector, text, shows }: { selector: string; text: string; shows: boolean }) {
  const { document } = globalThis as unknown as InPage;
  return (document.querySelector(selector)?.textContent?.includes(text) ?? false) === shows;
}

/** The cell of `model` on host `hostId` in the Models matrix. */
const cell = (model: string, hostId: string) =>
  `tr[data-model="${model}"] td[data-host="${hostId}"]`;

Deno.test({
  name: "the dashboard: log in, fleet, load and unload, history, audit log, log out, viewer",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "corral-dashboard-" });
    if (SHOTS) await Deno.mkdir(SHOTS, { recursive: true });
    await using fleet = await startDemoFleet({
      hosts: 4,
      speed: 20,
      hub: { history: { enabled: true, sample_interval: "1s" }, data_dir: dir },
    });
    const { hub } = fleet;
    const base = hub.controlUrl;
    await hub.accounts.ensureUser({ ...ADMIN, role: "admin" });
    await hub.accounts.ensureUser({ ...VIEWER, role: "viewer" });
    // Some traffic for History: two models on two hosts, and one unknown model (a 404).
    for (const model of ["llama3.2:3b", "qwen3:8b", "llama3.2:3b", "no-such-model"]) {
      const response = await fetch(`${hub.url}/api/generate`, {
        method: "POST",
        body: JSON.stringify({
          model,
          prompt: "Hello",
          stream: false,
          options: { num_predict: 4 },
        }),
      });
      await response.body?.cancel();
    }

    const browser = await launchBrowser();
    let context: BrowserContext | null = null;
    try {
      context = await browser.newContext({ viewport: SIZES.laptop });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));

      await t.step("log in and see every host", async () => {
        await logIn(page, base, ADMIN);
        await page.waitForFunction(() => {
          const { document } = globalThis as unknown as InPage;
          return [...document.querySelectorAll("article[data-host]")].length === 4;
        });
        const names = await page.$$eval(
          "article[data-host] .host-name",
          (els) => els.map((el) => el.textContent?.trim()).sort(),
        );
        assert.deepEqual(names, ["gpu-3060", "gpu-3090x2", "gpu-4090", "gpu-a100"]);
        await layoutHolds(page, "fleet");
      });

      const host = hub.registry.records().find((h) => h.name === "gpu-3060")!;
      const card = `article[data-host="${host.id}"]`;
      let model = "";

      await t.step("load a model from the Models page and see its card change", async () => {
        await page.click("nav >> text=Models");
        await page.waitForURL(/\/models$/);
        // A model on gpu-3060's disk and not loaded anywhere there.
        const onDisk = page.locator(`td[data-host="${host.id}"][data-state="disk"]`).first();
        model = await onDisk.locator("xpath=..").getAttribute("data-model") ?? "";
        assert.notEqual(model, "");
        await layoutHolds(page, "models");
        await page.locator(cell(model, host.id)).hover();
        await page.locator(cell(model, host.id)).getByRole("button", { name: "Load" }).click();
        await page.waitForSelector(`${cell(model, host.id)}[data-state="loaded"]`, {
          timeout: 20_000,
        });
        await page.click("nav >> text=Fleet");
        await page.waitForFunction(cardShows, { selector: card, text: model, shows: true });
      });

      await t.step("unload it and see the card change back", async () => {
        await page.click("nav >> text=Models");
        await page.locator(cell(model, host.id)).hover();
        await page.locator(cell(model, host.id)).getByRole("button", { name: "Unload" }).click();
        await page.waitForSelector(`${cell(model, host.id)}[data-state="disk"]`, {
          timeout: 20_000,
        });
        await page.click("nav >> text=Fleet");
        await page.waitForFunction(cardShows, { selector: card, text: model, shows: false });
      });

      await t.step("History draws its charts", async () => {
        await page.click("nav >> text=History");
        await page.waitForURL(/\/history/);
        // Requests, tokens and latency at least: charts with a canvas and points on it.
        await page.waitForFunction(
          () => {
            const { document } = globalThis as unknown as InPage;
            return [...document.querySelectorAll(".chart[data-points]")]
              .filter((c) => c.querySelector("canvas") && Number(c.dataset.points) > 0).length >= 3;
          },
          undefined,
          { timeout: 20_000 },
        );
        await layoutHolds(page, "history");
      });

      await t.step("the audit log filters, and explains a request's route", async () => {
        const rows = page.locator("table.audit-table tbody tr");
        await rows.first().waitFor();
        await page.selectOption("select[aria-label=Model]", "qwen3:8b");
        await page.waitForFunction(() => {
          const { document } = globalThis as unknown as InPage;
          const cells = document.querySelectorAll("table.audit-table tbody tr td:nth-child(4)");
          const models = [...cells].map((td) => td.textContent);
          return models.length > 0 && models.every((m) => m === "qwen3:8b");
        });
        await rows.first().click();
        const detail = page.locator(".request-detail");
        await detail.waitFor();
        const text = await detail.textContent() ?? "";
        assert.match(text, /gpu-3090x2/);
        assert.match(text, /loaded/);
        // What the router decided, from the route the hub recorded: the runner's context.
        assert.match(text, /8192-token context/);
        if (SHOTS) await page.screenshot({ path: `${SHOTS}/request-detail.png` });
        await page.keyboard.press("Escape");
      });

      await t.step("Settings shows users, keys and the fleet key's fingerprint only", async () => {
        await page.click("nav >> text=Settings");
        await page.waitForSelector("[data-fingerprint]");
        const html = await page.content();
        assert.ok(!html.includes(fleet.fleetKey), "the fleet key never reaches the page");
        await page.waitForSelector(`text=${VIEWER.username}`);
        await layoutHolds(page, "settings");
      });

      await t.step("log out", async () => {
        await page.click("button:has-text('Log out')");
        await page.waitForURL(/\/login/);
        const me = await context!.request.get(`${base}/api/auth/me`);
        assert.equal(me.status(), 401);
      });
      assert.deepEqual(errors, [], "no errors in the page");
      await context.close();

      await t.step("a viewer sees no actions, and the API refuses them", async () => {
        context = await browser.newContext({ viewport: SIZES.laptop });
        const viewer = await context.newPage();
        await logIn(viewer, base, VIEWER);
        await viewer.click("nav >> text=Models");
        await viewer.waitForSelector("tr[data-model]");
        assert.equal(
          await viewer.getByRole("button", { name: /^(Load|Unload|Pull|Delete)$/ }).count(),
          0,
        );
        const me = await (await context.request.get(`${base}/api/auth/me`)).json();
        const load = await context.request.post(`${base}/api/models/load`, {
          data: { model: "llama3.2:3b", host: host.id },
          headers: { "x-csrf-token": me.csrf, origin: base },
        });
        assert.equal(load.status(), 403);
        const drain = await context.request.post(`${base}/api/hosts/${host.id}/drain`, {
          headers: { "x-csrf-token": me.csrf, origin: base },
        });
        assert.equal(drain.status(), 403);
        assert.equal(hub.registry.find(host.id)?.status, "online");
      });
    } finally {
      await context?.close().catch(() => {});
      await browser.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
