/// <reference lib="deno.ns" />
import assert from "node:assert/strict";
import { routeOf, safeNext } from "./router.ts";

Deno.test("routeOf() maps the dashboard's paths and nothing else", () => {
  assert.equal(routeOf("/"), "fleet");
  assert.equal(routeOf("/models"), "models");
  assert.equal(routeOf("/models/"), "models");
  assert.equal(routeOf("/history"), "history");
  assert.equal(routeOf("/settings"), "settings");
  assert.equal(routeOf("/login"), "login");
  assert.equal(routeOf("/setup"), "setup");
  assert.equal(routeOf("/models/extra"), "not-found");
  assert.equal(routeOf("/api/hosts"), "not-found");
});

Deno.test("safeNext() goes back only to a page of this dashboard", () => {
  assert.equal(safeNext("/models?x=1"), "/models?x=1");
  assert.equal(safeNext(null), "/");
  assert.equal(safeNext("https://evil.example/"), "/");
  assert.equal(safeNext("//evil.example/"), "/");
  assert.equal(safeNext("/login"), "/");
  assert.equal(safeNext("/setup?token=x"), "/");
});
