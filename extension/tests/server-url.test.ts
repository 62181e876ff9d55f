import assert from "node:assert/strict";
import { test } from "node:test";
import { checkServer } from "../src/background/check";
import { allowingPattern } from "../src/shared/match-patterns";
import { DEFAULT_SETTINGS } from "../src/shared/types";
import { normaliseServerUrl } from "../src/ui/server-url";

test("a server URL without a scheme is fixed: http for loopback, https elsewhere", () => {
  assert.deepEqual(normaliseServerUrl("localhost:8000"), { ok: true, url: "http://localhost:8000", fixed: true });
  assert.deepEqual(normaliseServerUrl(" 127.0.0.1:8000/ "), { ok: true, url: "http://127.0.0.1:8000", fixed: true });
  assert.deepEqual(normaliseServerUrl("[::1]:8000"), { ok: true, url: "http://[::1]:8000", fixed: true });
  assert.deepEqual(normaliseServerUrl("gloss.example.com/team/"), { ok: true, url: "https://gloss.example.com/team", fixed: true });
  assert.deepEqual(normaliseServerUrl("HTTP://Gloss.Example.com:8443//"), { ok: true, url: "http://gloss.example.com:8443", fixed: false });
});

test("a server URL Gloss cannot call is refused, saying why", () => {
  const refused = (input: string) => {
    const r = normaliseServerUrl(input);
    assert.equal(r.ok, false, input);
    return r.ok ? "" : r.message;
  };
  assert.match(refused(""), /Enter the server URL/);
  assert.match(refused("ftp://gloss.example.com"), /http:\/\/ or https:\/\/, not ftp:\/\//);
  assert.match(refused("mailto:admin@example.com"), /not a web address/);
  assert.match(refused("http://127.0.0.1:8000/?x=1"), /no \?query/);
  assert.match(refused("http://admin:pw@127.0.0.1:8000"), /Token field/);
  assert.match(refused("http://exa mple.com"), /not a URL Gloss can call/);
});

test("the popup shows the stored pattern that allows a site, not a guess", () => {
  const sites = ["https://*.example.com/*", "http://127.0.0.1/*"];
  assert.equal(allowingPattern("https://news.example.com/a", sites, []), "https://*.example.com/*");
  assert.equal(allowingPattern("https://news.example.com/a", sites, ["https://news.example.com/*"]), null);
  assert.equal(allowingPattern("https://other.org/", sites, []), null);
});

type Route = (url: string, init: RequestInit) => Response | "offline";

function fakeFetch(route: Route) {
  const calls: string[] = [];
  const fn = async (url: string, init: RequestInit) => {
    calls.push(`${url} ${(init.headers as Record<string, string>).Authorization ? "auth" : "anon"}`);
    const r = route(url, init);
    if (r === "offline") throw new TypeError("Failed to fetch");
    return r;
  };
  return { fn, calls };
}

const settings = { ...DEFAULT_SETTINGS, serverUrl: "http://127.0.0.1:9000", token: "tok" };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
const me = { id: "u1", name: "admin", display_name: null, teams: [{ id: "t", name: "default", role: "owner" }] };

test("the check: health without the token, then /v1/me with it", async () => {
  const f = fakeFetch((url) => (url.endsWith("/healthz") ? json(200, { status: "ok" }) : json(200, me)));
  const reply = await checkServer(settings, f.fn);
  assert.deepEqual(reply, { ok: true, value: me });
  assert.deepEqual(f.calls, ["http://127.0.0.1:9000/healthz anon", "http://127.0.0.1:9000/v1/me auth"]);
});

test("the check names the URL and what to try when nothing answers", async () => {
  const reply = await checkServer(settings, fakeFetch(() => "offline").fn);
  assert.equal(reply.ok, false);
  if (reply.ok) return;
  assert.equal(reply.error.kind, "offline");
  assert.match(reply.error.message, /Nothing answers at http:\/\/127\.0\.0\.1:9000\. Is `gloss serve` running/);
});

test("a URL that answers but is not Gloss is said so: /healthz, or /v1/me", async () => {
  const page = await checkServer(settings, fakeFetch(() => new Response("<html>hello</html>", { status: 200 })).fn);
  assert.equal(page.ok, false);
  if (!page.ok) {
    assert.equal(page.error.kind, "not-gloss");
    assert.match(page.error.message, /http:\/\/127\.0\.0\.1:9000 answers, but it is not a Gloss server .*Check the port/);
  }
  const missing = await checkServer(settings, fakeFetch(() => new Response("nope", { status: 404 })).fn);
  assert.ok(!missing.ok && /not a Gloss server \(GET \/healthz gave HTTP 404\)/.test(missing.error.message));
  const otherMe = await checkServer(settings, fakeFetch((url) => (url.endsWith("/healthz") ? json(200, { status: "ok" }) : json(200, { user: "x" }))).fn);
  assert.ok(!otherMe.ok && otherMe.error.kind === "not-gloss" && /\/v1\/me is not Gloss's/.test(otherMe.error.message));
});

test("a rejected token says how to get one", async () => {
  const f = fakeFetch((url) => (url.endsWith("/healthz") ? json(200, { status: "ok" }) : json(401, { title: "Unauthorized" })));
  const reply = await checkServer(settings, f.fn);
  assert.ok(!reply.ok && reply.error.kind === "unauthorized");
  assert.ok(!reply.ok && /rejected the token \(401\).*gloss token create/.test(reply.error.message));
});

test("nothing is fetched without a URL or a token", async () => {
  const f = fakeFetch(() => json(200, {}));
  const noToken = await checkServer({ ...settings, token: "" }, f.fn);
  assert.ok(!noToken.ok && noToken.error.kind === "not-configured");
  assert.deepEqual(f.calls, []);
});
