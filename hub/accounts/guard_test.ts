import assert from "node:assert/strict";
import { isUnsafe, sameOrigin } from "./guard.ts";

function request(url: string, headers: Record<string, string>): Request {
  return new Request(url, { method: "POST", headers });
}

Deno.test("sameOrigin() accepts no Origin or the request's own, and nothing else", () => {
  const url = "http://10.0.0.5:11400/api/users";
  assert.ok(sameOrigin(request(url, {})), "curl and scripts send no Origin");
  assert.ok(sameOrigin(request(url, { origin: "http://10.0.0.5:11400" })));
  assert.ok(sameOrigin(request(url, { origin: "http://10.0.0.5:11400", host: "10.0.0.5:11400" })));
  assert.ok(!sameOrigin(request(url, { origin: "http://10.0.0.5:8080" })), "another port");
  assert.ok(!sameOrigin(request(url, { origin: "https://10.0.0.5:11400" })), "another scheme");
  assert.ok(!sameOrigin(request(url, { origin: "http://evil.example" })));
  assert.ok(!sameOrigin(request(url, { origin: "null" })));
});

Deno.test("sameOrigin() follows a reverse proxy's X-Forwarded-Proto and -Host", () => {
  const behind = request("http://127.0.0.1:11400/api/keys", {
    origin: "https://corral.example.org",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "corral.example.org",
  });
  assert.ok(sameOrigin(behind));
  const hostOnly = request("http://127.0.0.1:11400/api/keys", {
    origin: "https://corral.example.org",
    host: "corral.example.org",
    "x-forwarded-proto": "https, http",
  });
  assert.ok(sameOrigin(hostOnly));
});

Deno.test("isUnsafe() is true for the methods that change things", () => {
  assert.deepEqual(
    ["GET", "HEAD", "OPTIONS", "POST", "put", "PATCH", "DELETE"].map(isUnsafe),
    [false, false, false, true, true, true, true],
  );
});
