import assert from "node:assert/strict";
import { InFlightTable } from "./in_flight.ts";

Deno.test("InFlightTable.begin() counts a request until its end function is called", () => {
  const table = new InFlightTable();
  const end1 = table.begin("h1", "m");
  const end2 = table.begin("h1", "m");
  const end3 = table.begin("h1", "other");
  const end4 = table.begin("h1", null);
  assert.equal(table.of("h1", "m"), 2);
  assert.equal(table.own("h1", "m"), 2);
  assert.equal(table.of("h1", "other"), 1);
  assert.equal(table.total("h1"), 4, "a request with no model counts in the total");
  assert.equal(table.total("h2"), 0, "hosts are counted apart");
  end1();
  end3();
  end4();
  assert.equal(table.of("h1", "m"), 1);
  assert.equal(table.of("h1", "other"), 0);
  assert.equal(table.total("h1"), 1);
  end2();
  assert.equal(table.of("h1", "m"), 0);
  assert.equal(table.total("h1"), 0);
});

Deno.test("InFlightTable.begin() returns an end function that counts only once", () => {
  const table = new InFlightTable();
  const endA = table.begin("h1", "m");
  table.begin("h1", "m");
  endA();
  endA();
  endA();
  assert.equal(table.of("h1", "m"), 1);
  assert.equal(table.total("h1"), 1);
});

Deno.test("InFlightTable.of() and total() take the higher of the hub's and the agent's counts", () => {
  const table = new InFlightTable();
  table.setReported("h1", new Map([["m", 3], ["n", 1]]));
  assert.equal(table.of("h1", "m"), 3);
  assert.equal(table.of("h1", "n"), 1);
  assert.equal(table.total("h1"), 4);
  assert.equal(table.own("h1", "m"), 0, "own() counts only the hub's requests");

  const ends = Array.from({ length: 5 }, () => table.begin("h1", "m"));
  assert.equal(table.of("h1", "m"), 5, "the hub's count wins when higher");
  assert.equal(table.of("h1", "n"), 1);
  assert.equal(table.total("h1"), 5);
  for (const end of ends) end();

  table.setReported("h1", new Map());
  assert.equal(table.of("h1", "m"), 0, "a new report replaces the old one");
  assert.equal(table.total("h1"), 0);
});

Deno.test("InFlightTable.onEnd() tells listeners of each request that ends, once", () => {
  const table = new InFlightTable();
  const seen: [string, string | null][] = [];
  const unsubscribe = table.onEnd((hostId, model) => seen.push([hostId, model]));
  const end = table.begin("h1", "m");
  table.begin("h2", null)();
  end();
  end();
  assert.deepEqual(seen, [["h2", null], ["h1", "m"]]);
  unsubscribe();
  table.begin("h1", "m")();
  assert.equal(seen.length, 2);
});

Deno.test("InFlightTable.remove() forgets a host's counts", () => {
  const table = new InFlightTable();
  table.begin("h1", "m");
  table.setReported("h1", new Map([["m", 2]]));
  table.begin("h2", "m");
  table.remove("h1");
  assert.equal(table.of("h1", "m"), 0);
  assert.equal(table.total("h1"), 0);
  assert.equal(table.of("h2", "m"), 1);
});

Deno.test("InFlightTable.youngestAgeMs() is the age of the latest request still running", () => {
  let now = 1000;
  const table = new InFlightTable(() => now);
  assert.equal(table.youngestAgeMs("h", "m"), 0);
  const first = table.begin("h", "m");
  now = 1500;
  const second = table.begin("h", "m");
  now = 1600;
  assert.equal(table.youngestAgeMs("h", "m"), 100);
  first();
  assert.equal(table.youngestAgeMs("h", "m"), 100);
  second();
  assert.equal(table.youngestAgeMs("h", "m"), 0);
});

Deno.test("InFlightTable keeps the context of the latest request for each model while any runs", () => {
  const table = new InFlightTable();
  assert.equal(table.contextOf("h", "m"), null);
  const first = table.begin("h", "m", 4096);
  const second = table.begin("h", "m", 8192);
  table.begin("h", "other");
  assert.equal(table.contextOf("h", "m"), 8192);
  assert.deepEqual([...table.models("h")], [["m", 8192], ["other", null]]);
  first();
  assert.equal(table.contextOf("h", "m"), 8192);
  second();
  assert.equal(table.contextOf("h", "m"), null);
  assert.deepEqual([...table.models("h")], [["other", null]]);
  assert.deepEqual([...table.models("nobody")], []);
});
