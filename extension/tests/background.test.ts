import assert from "node:assert/strict";
import { test } from "node:test";
import { request } from "../src/background/api";
import { fetchCard } from "../src/background/card";
import { DEFAULT_SETTINGS, type Settings } from "../src/shared/types";

const settings: Settings = { ...DEFAULT_SETTINGS, serverUrl: "http://127.0.0.1:9/", token: "tok" };

function withFetch(fake: (url: string, init: RequestInit) => Promise<Response>, fn: () => Promise<void>): Promise<void> {
  const real = globalThis.fetch;
  globalThis.fetch = fake as typeof fetch;
  return fn().finally(() => {
    globalThis.fetch = real;
  });
}

test("request sends the bearer token and JSON, and parses the answer", () =>
  withFetch(
    async (url, init) => {
      assert.equal(url, "http://127.0.0.1:9/v1/annotate");
      assert.equal((init.headers as Record<string, string>).Authorization, "Bearer tok");
      assert.equal(init.credentials, "omit");
      return new Response(JSON.stringify({ terms: [] }), { status: 200 });
    },
    async () => {
      const r = await request<{ terms: unknown[] }>(settings, "POST", "/v1/annotate", { text: "x" });
      assert.deepEqual(r, { ok: true, value: { terms: [] } });
    },
  ));

test("401, 413 and a server that is down or slow become reader-facing errors", async () => {
  for (const [status, kind] of [[401, "unauthorized"], [413, "too-large"], [503, "server"]] as const) {
    await withFetch(
      async () => new Response(JSON.stringify({ title: "x" }), { status, headers: { "content-type": "application/problem+json" } }),
      async () => {
        const r = await request(settings, "GET", "/v1/me");
        assert.equal(r.ok, false);
        if (!r.ok) assert.equal(r.error.kind, kind);
      },
    );
  }
  await withFetch(
    async () => {
      throw new TypeError("Failed to fetch");
    },
    async () => {
      const r = await request(settings, "GET", "/v1/me");
      assert.ok(!r.ok && r.error.kind === "offline");
    },
  );
  await withFetch(
    (_url, init) =>
      new Promise((_resolve, reject) => {
        init.signal!.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      }),
    async () => {
      const r = await request(settings, "GET", "/v1/me", undefined, 20);
      assert.ok(!r.ok && r.error.kind === "timeout");
    },
  );
});

test("nothing is sent before the server and token are set", async () => {
  let called = false;
  await withFetch(
    async () => {
      called = true;
      return new Response("{}");
    },
    async () => {
      const r = await request({ ...DEFAULT_SETTINGS }, "GET", "/v1/me");
      assert.ok(!r.ok && r.error.kind === "not-configured");
    },
  );
  assert.equal(called, false);
});

test("a server without the card route still gives a term's card from the glossary routes", () =>
  withFetch(
    async (url) => {
      if (url.includes("/v1/annotate/card")) return new Response(JSON.stringify({ title: "Not found" }), { status: 404 });
      if (url.includes("/terms/")) return new Response(JSON.stringify({ term: "inference", definition: "d", aliases: ["inferencing"] }));
      return new Response(JSON.stringify({ name: "AI desk" }));
    },
    async () => {
      const r = await fetchCard(settings, "term", { term_id: "t", glossary_id: "g" });
      assert.ok(r.ok);
      if (r.ok) {
        assert.equal(r.value.title, "inference");
        assert.equal(r.value.glossary, "AI desk");
        assert.deepEqual(r.value.aliases, ["inferencing"]);
      }
    },
  ));
