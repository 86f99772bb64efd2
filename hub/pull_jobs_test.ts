import assert from "node:assert/strict";
import type { PullJob } from "../shared/dashboard.ts";
import { waitFor } from "../tests/_utils.ts";
import { startModelTestFleet } from "./model_testing.ts";
import { PullJobs } from "./pull_jobs.ts";

const SLOW = { profile: { network: "200KB/s" }, speed: 1 };

/** Collects what listeners hear, and waits for a job to reach a state. */
function listen(jobs: PullJobs) {
  const heard: PullJob[] = [];
  jobs.subscribe((job) => heard.push(job));
  return {
    heard,
    finished: (id: string) =>
      waitFor(`pull ${id} to finish`, () => {
        const job = jobs.get(id);
        return job?.state !== "running" && job;
      }, 10_000),
  };
}

Deno.test("PullJobs.start() pulls through the hub to each host and reads Ollama's progress", async () => {
  await using fleet = await startModelTestFleet({ one: {}, two: {} });
  const jobs = new PullJobs({ dataFetch: fleet.dataFetch, progressMs: 0 });
  const { heard, finished } = listen(jobs);
  const hosts = ["one", "two"].map((name) => ({ id: fleet.idOf(name), name }));

  const started = jobs.start("qwen3:0.6b", hosts, "ann");
  assert.equal(started.length, 2);
  assert.deepEqual(started.map((j) => [j.hostName, j.state, j.by]), [
    ["one", "running", "ann"],
    ["two", "running", "ann"],
  ]);
  for (const job of started) {
    const done = await finished(job.id);
    assert.equal(done.state, "done", done.error ?? "");
    assert.equal(done.status, "success");
    assert.equal(done.error, null);
    assert.ok(done.total! > 500_000_000, "the layers' sizes are summed");
    assert.equal(done.completed, done.total);
    assert.ok(done.endedAt! >= done.startedAt);
  }
  for (const name of ["one", "two"]) {
    assert.ok(fleet.sims[name]!.sim.store.get("qwen3:0.6b"), `${name} has the model on disk`);
  }

  const one = heard.filter((j) => j.id === started[0]!.id);
  assert.equal(one[0]!.state, "running");
  assert.equal(one.at(-1)!.state, "done");
  const statuses = new Set(one.map((j) => j.status));
  assert.ok(statuses.has("pulling manifest"), [...statuses].join(", "));
  assert.ok([...statuses].some((s) => /^pulling [0-9a-f]{12}$/.test(s)));
  const progress = one.map((j) => j.completed).filter((c) => c !== null);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), "progress only grows");
  assert.deepEqual(jobs.list().map((j) => j.id), started.map((j) => j.id));
  await jobs.stop();
});

Deno.test("PullJobs ends a job failed with Ollama's message", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  const jobs = new PullJobs({ dataFetch: fleet.dataFetch });
  const { finished } = listen(jobs);
  const [job] = jobs.start("no-such-model:1b", [{ id: fleet.idOf("one"), name: "one" }]);
  const failed = await finished(job!.id);
  assert.equal(failed.state, "failed");
  assert.equal(failed.error, "pull model manifest: file does not exist");

  const [gone] = jobs.start("qwen3:0.6b", [{ id: "no-such-host", name: "ghost" }]);
  const refused = await finished(gone!.id);
  assert.equal(refused.state, "failed");
  assert.equal(refused.error, 'No host named "no-such-host"', "the hub's answer, as it said it");
  await jobs.stop();
});

Deno.test("PullJobs.start() returns the running job for a host already pulling the model", async () => {
  await using fleet = await startModelTestFleet({ one: SLOW });
  const jobs = new PullJobs({ dataFetch: fleet.dataFetch });
  const host = { id: fleet.idOf("one"), name: "one" };
  const [first] = jobs.start("qwen3:0.6b", [host], "ann");
  const [again] = jobs.start("QWEN3:0.6b", [host], "bob");
  assert.equal(again!.id, first!.id);
  assert.equal(again!.by, "ann");
  assert.equal(jobs.list().length, 1);
  const [other] = jobs.start("all-minilm", [host]);
  assert.notEqual(other!.id, first!.id, "another model is another job");
  await jobs.stop();
  assert.deepEqual(jobs.list().map((j) => j.state), ["cancelled", "cancelled"]);
});

Deno.test("PullJobs.cancel() aborts the pull at the host and ends the job cancelled", async () => {
  await using fleet = await startModelTestFleet({ one: SLOW });
  const jobs = new PullJobs({ dataFetch: fleet.dataFetch });
  const { heard } = listen(jobs);
  const sim = fleet.sims.one!.sim;
  const [job] = jobs.start("qwen3:0.6b", [{ id: fleet.idOf("one"), name: "one" }]);
  await waitFor("the download to start", () => sim.puller.downloads().some((d) => d.active));
  const cancelled = jobs.cancel(job!.id);
  assert.equal(cancelled.state, "cancelled");
  assert.equal(cancelled.error, null);
  assert.ok(cancelled.endedAt !== null);
  assert.equal(heard.at(-1)!.state, "cancelled");
  await waitFor(
    "the host to stop downloading",
    () => !sim.puller.downloads().some((d) => d.active),
  );
  assert.equal(jobs.cancel(job!.id).state, "cancelled", "cancelling again changes nothing");
  assert.throws(() => jobs.cancel("nope"), { code: "NOT_FOUND", status: 404 });
  assert.equal(jobs.start("qwen3:0.6b", [{ id: fleet.idOf("one"), name: "one" }]).length, 1);
  assert.notEqual(jobs.list().at(-1)!.id, job!.id, "a new pull after a cancel is a new job");
  await jobs.stop();
  assert.throws(() => jobs.start("qwen3:0.6b", []), { code: "UNAVAILABLE" });
});

Deno.test("PullJobs publishes state changes at once and progress at most every interval", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  const jobs = new PullJobs({ dataFetch: fleet.dataFetch, progressMs: 60_000 });
  const { heard, finished } = listen(jobs);
  const [job] = jobs.start("qwen3:0.6b", [{ id: fleet.idOf("one"), name: "one" }]);
  await finished(job!.id);
  // The start was published just before; the progress waits for an interval that ends after the
  // pull, so the end (published at once) carries it.
  assert.deepEqual(heard.map((j) => [j.state, j.status]), [
    ["running", "starting"],
    ["done", "success"],
  ]);
  assert.equal(heard[1]!.completed, heard[1]!.total);
  await jobs.stop();
});

Deno.test("PullJobs forgets finished jobs after 15 minutes, and refuses an invalid name", async () => {
  await using fleet = await startModelTestFleet({ one: {} });
  let now = 1_000_000;
  const jobs = new PullJobs({ dataFetch: fleet.dataFetch, now: () => now });
  const { finished } = listen(jobs);
  const [job] = jobs.start("qwen3:0.6b", [{ id: fleet.idOf("one"), name: "one" }]);
  await finished(job!.id);
  now += 15 * 60_000;
  assert.equal(jobs.list().length, 1);
  now += 1;
  assert.deepEqual(jobs.list(), []);
  assert.equal(jobs.get(job!.id), undefined);
  assert.throws(() => jobs.start("bad name!", []), { code: "BAD_REQUEST", status: 400 });
  await jobs.stop();
});
