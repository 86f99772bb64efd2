/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import {
  cleanFilters,
  DEFAULT_STATE,
  filterCount,
  type HistoryState,
  isStatusFilter,
  readState,
  requestsUrl,
  writeState,
} from "./filters.ts";

Deno.test("isStatusFilter() accepts what the hub's status parameter takes", () => {
  for (const ok of ["ok", "error", "4xx", "5XX", "200", "404"]) assert.ok(isStatusFilter(ok), ok);
  for (const bad of ["", "6xx", "20", "2000", "failed", "4x"]) assert.ok(!isStatusFilter(bad), bad);
});

Deno.test("cleanFilters() trims values and drops empty ones and an invalid status", () => {
  assert.deepEqual(cleanFilters({ host: " a ", model: "", key: "  ", status: "4XX" }), {
    host: "a",
    status: "4xx",
  });
  assert.deepEqual(cleanFilters({ status: "nope", endpoint: "/api/chat" }), {
    endpoint: "/api/chat",
  });
  assert.equal(filterCount({ host: "a", model: "", status: "ok" }), 2);
});

Deno.test("requestsUrl() sends the filters, the range in epoch ms, the page size and the cursor", () => {
  const url = requestsUrl(
    { model: "qwen3:8b", status: "error", host: "" },
    { range: { from: 1000.4, to: 2000.2 }, cursor: "abc", limit: 25 },
  );
  const parsed = new URL(url, "http://hub");
  assert.equal(parsed.pathname, "/api/history/requests");
  assert.deepEqual(Object.fromEntries(parsed.searchParams), {
    model: "qwen3:8b",
    status: "error",
    from: "1000",
    to: "2001",
    limit: "25",
    cursor: "abc",
  });
  const first = new URL(requestsUrl({}, { range: { from: 1, to: 2 } }), "http://hub");
  assert.equal(first.searchParams.get("cursor"), null);
  assert.equal(first.searchParams.get("limit"), "50");
});

Deno.test("writeState() and readState() round-trip the page's state", () => {
  const states: HistoryState[] = [
    DEFAULT_STATE,
    {
      range: { kind: "preset", preset: "7d" },
      by: "host",
      host: "demo-gpu-4090",
      filters: { model: "qwen3:8b", status: "5xx", endpoint: "/v1/chat/completions" },
    },
    {
      range: { kind: "custom", from: 1_700_000_000_000, to: 1_700_003_600_000 },
      by: "none",
      host: null,
      filters: { key: "alice" },
    },
  ];
  for (const state of states) assert.deepEqual(readState(writeState(state)), state);
  assert.equal(writeState(DEFAULT_STATE), "");
});

Deno.test("readState() falls back to the defaults for missing or invalid values", () => {
  assert.deepEqual(readState(""), DEFAULT_STATE);
  assert.deepEqual(readState("?range=2y&by=colour&from=9&to=3&log.status=bad"), DEFAULT_STATE);
  assert.deepEqual(readState("?range=1h").range, { kind: "preset", preset: "1h" });
});
