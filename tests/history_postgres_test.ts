/**
 * PostgreSQL stopped while the hub serves traffic, then started again: every request is still
 * answered, the hub says the database is down (health and log), keeps the rows, writes every one
 * of them once the database is back, and records the outage. Runs against a throwaway cluster
 * this test can stop (root and Debian's PostgreSQL server needed; skipped with a message where
 * they are missing).
 */

import assert from "node:assert/strict";
import { openPostgres } from "../hub/history/postgres.ts";
import type { WriterHealth } from "../hub/history/writer.ts";
import { startDemoFleet } from "../scripts/demo_fleet.ts";
import { clusterMissing, startCluster } from "./_postgres_cluster.ts";
import { waitFor } from "./_utils.ts";

const missing = clusterMissing();
if (missing) console.log(`skipping the PostgreSQL restart test: it ${missing}`);

Deno.test({
  name: "PostgreSQL stopped and started under traffic: nothing unanswered, no row lost",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using cluster = await startCluster();
    // The cluster trusts local connections; the password is there to prove it is never printed.
    const withPassword = cluster.url.replace("postgres@", "postgres:hunter2-not-logged@");
    const lines: string[] = [];
    const log = {
      info: (m: string) => lines.push(m),
      warn: (m: string) => lines.push(`warning: ${m}`),
      error: (m: string) => lines.push(`error: ${m}`),
    };
    await using fleet = await startDemoFleet({
      specs: [{ name: "steady", preset: "rtx4090", preload: ["llama3.2:3b"] }],
      speed: 50,
      log,
      hub: { database_url: withPassword, history: { enabled: true, sample_interval: "1s" } },
    });
    const { hub } = fleet;
    const health = async () =>
      (await fetch(`${hub.controlUrl}/healthz`).then((r) => r.json())).history as WriterHealth;
    await waitFor("history ready", async () => (await health()).state === "ok", 10_000);

    let sent = 0;
    const statuses: number[] = [];
    const burst = async (count: number) => {
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let i = 0; i < count / 4; i++) {
          sent++;
          const response = await fetch(`${hub.url}/api/generate`, {
            method: "POST",
            body: JSON.stringify({
              model: "llama3.2:3b",
              prompt: `request ${sent}`,
              stream: false,
              options: { num_predict: 5 },
            }),
          });
          statuses.push(response.status);
          await response.body?.cancel();
        }
      }));
    };

    await burst(20);
    await cluster.stop();
    await burst(60);
    const down = await waitFor("the hub to notice", async () => {
      const h = await health();
      return h.state === "down" ? h : undefined;
    }, 10_000);
    await burst(20);
    assert.ok(down.buffered > 0, "rows are kept while the database is away");
    assert.ok(down.downSince !== null);
    assert.ok(lines.some((l) => /^warning: history: cannot write to postgres:/.test(l)));

    await cluster.start();
    const back = await waitFor("the rows written", async () => {
      const h = await health();
      return h.state === "ok" && h.buffered === 0 ? h : undefined;
    }, 30_000);

    assert.equal(statuses.length, 100);
    assert.deepEqual(new Set(statuses), new Set([200]), "every request answered");
    assert.equal(back.dropped, 0);
    assert.ok(back.lastOutage !== null, "the outage is recorded");
    assert.ok(back.lastOutage.end > back.lastOutage.start);
    assert.ok(
      lines.some((l) => /^history: postgres:.* is back after [\d.]+ s; .*none lost/.test(l)),
    );
    assert.ok(lines.every((l) => !l.includes("hunter2")), "the password never reaches the log");
    assert.ok(!JSON.stringify(back).includes("hunter2"));

    const db = openPostgres(cluster.url);
    try {
      const [row] = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM request_logs WHERE endpoint = '/api/generate' AND status = 200",
      );
      assert.equal(row!.n, sent, "every request's row, including those made during the outage");
    } finally {
      await db.close();
    }
  },
});
