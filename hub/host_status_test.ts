import assert from "node:assert/strict";
import {
  FLAP_DROPS,
  FLAP_WINDOW_MS,
  type Health,
  type HealthEvent,
  initialHealth,
  nextHealth,
  PROBATION_MS,
} from "./host_status.ts";

function run(health: Health, ...events: HealthEvent[]): Health {
  return events.reduce(nextHealth, health);
}

const live = (at: number, ollamaReachable = true): HealthEvent => ({
  type: "live",
  at,
  ollamaReachable,
  ollamaError: ollamaReachable ? null : "connection refused",
});
const lost = (at: number): HealthEvent => ({ type: "lost", at, reason: "state stream closed" });

Deno.test("initialHealth() is offline until the host is heard", () => {
  const h = initialHealth(0);
  assert.equal(h.status, "offline");
  assert.equal(h.reason, "not yet connected");
  assert.equal(run(h, live(10)).status, "online");
  assert.equal(run(h, live(10)).since, 10);
});

Deno.test("nextHealth() takes a live host offline when it is lost, with the reason", () => {
  const h = run(initialHealth(0), live(1), lost(5));
  assert.equal(h.status, "offline");
  assert.equal(h.since, 5);
  assert.equal(h.reason, "state stream closed");
  assert.equal(run(h, live(6)).status, "online");
});

Deno.test("nextHealth() holds a host degraded while its Ollama does not answer", () => {
  const h = run(initialHealth(0), live(1, false));
  assert.equal(h.status, "degraded");
  assert.match(h.reason!, /Ollama does not answer: connection refused/);
  assert.equal(run(h, live(2, true)).status, "online");
  assert.equal(run(h, lost(3)).status, "offline");
});

Deno.test("nextHealth() returns the same object when nothing changed", () => {
  const h = run(initialHealth(0), live(1));
  assert.equal(nextHealth(h, live(2)), h);
  assert.equal(nextHealth(h, { type: "tick", at: 3 }), h);
  const off = nextHealth(h, lost(4));
  assert.equal(nextHealth(off, lost(5)), off, "a second loss is not another drop");
});

Deno.test("nextHealth() puts a flapping host on probation, then lets it back online", () => {
  let h = run(initialHealth(0), live(0));
  for (let i = 1; i < FLAP_DROPS; i++) h = run(h, lost(i * 1000), live(i * 1000 + 100));
  assert.equal(h.status, "online", `${FLAP_DROPS - 1} drops are tolerated`);
  const at = FLAP_DROPS * 1000;
  h = run(h, lost(at), live(at + 100));
  assert.equal(h.status, "degraded");
  assert.match(h.reason!, /probation after 3 drops/);
  assert.equal(run(h, { type: "tick", at: at + PROBATION_MS - 1 }).status, "degraded");
  assert.equal(run(h, { type: "tick", at: at + PROBATION_MS }).status, "online");
});

Deno.test("nextHealth() forgets drops older than the damping window", () => {
  let h = run(initialHealth(0), live(0));
  for (let i = 0; i < FLAP_DROPS; i++) {
    const at = 1000 + i * FLAP_WINDOW_MS;
    h = run(h, lost(at), live(at + 100));
  }
  assert.equal(h.status, "online");
  assert.equal(h.drops.length, 1);
});

Deno.test("nextHealth() keeps draining and maintenance whatever the connection does", () => {
  const up = run(initialHealth(0), live(0));
  const draining = nextHealth(up, { type: "drain", at: 1 });
  assert.equal(draining.status, "draining");
  assert.equal(run(draining, lost(2)).status, "draining");
  assert.equal(run(draining, lost(2), live(3, false)).status, "draining");
  const maint = nextHealth(draining, { type: "maintenance", at: 4 });
  assert.equal(maint.status, "maintenance");
  assert.equal(run(maint, { type: "drain", at: 5 }).status, "draining");
});

Deno.test("nextHealth() resumes to what the host really is", () => {
  const up = run(initialHealth(0), live(0));
  assert.equal(run(up, { type: "drain", at: 1 }, { type: "resume", at: 2 }).status, "online");
  const gone = run(up, { type: "maintenance", at: 1 }, lost(2), { type: "resume", at: 3 });
  assert.equal(gone.status, "offline");
  const sick = run(up, { type: "drain", at: 1 }, live(2, false), { type: "resume", at: 3 });
  assert.equal(sick.status, "degraded");
});

Deno.test("nextHealth() keeps the latest reason a host cannot be reached, without a new drop", () => {
  const h = nextHealth(initialHealth(0), lost(1));
  assert.equal(h.reason, "state stream closed");
  const refused = nextHealth(h, {
    type: "lost",
    at: 2,
    reason: "the agent refused the fleet token",
  });
  assert.equal(refused.reason, "the agent refused the fleet token");
  assert.equal(refused.drops.length, 0);
  assert.equal(refused.status, "offline");
});
