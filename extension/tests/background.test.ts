import assert from "node:assert/strict";
import { test } from "node:test";
import { RATE_LIMIT_RETRIES, request, retryAfterSeconds } from "../src/background/api";
import { annotate, annotationsOn, card } from "../src/background/server";
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

test("the card route is asked with exactly its query parameters", () =>
  withFetch(
    async (url) => {
      const u = new URL(url);
      assert.equal(u.pathname, "/v1/annotate/card");
      assert.deepEqual(Object.fromEntries(u.searchParams), { kind: "entity", key: "deepseek", label: "ORG", text: "DeepSeek", url: "https://news.example/a" });
      return new Response(JSON.stringify({ kind: "entity", title: "DeepSeek", label: "ORG", term: null, related: [] }));
    },
    async () => {
      const r = await card(settings, { kind: "entity", key: "deepseek", label: "ORG", text: "DeepSeek", url: "https://news.example/a" });
      assert.ok(r.ok && r.value.title === "DeepSeek");
    },
  ));

test("annotate asks for UTF-16 offsets, the browser's unit, and passes the answer on unchanged", () =>
  withFetch(
    async (_url, init) => {
      assert.equal(JSON.parse(String(init.body)).offsets, "utf16");
      return new Response(JSON.stringify({ offsets: "utf16", entities: [{ start: 3, end: 11, text: "DeepSeek", label: "ORG", key: "deepseek" }], terms: [], related: [] }));
    },
    async () => {
      const r = await annotate(settings, "😀 DeepSeek", "https://x.test/", "X");
      assert.ok(r.ok);
      if (r.ok) assert.deepEqual(r.value.entities[0], { start: 3, end: 11, text: "DeepSeek", label: "ORG", key: "deepseek" });
    },
  ));

test("paged lists are read page by page through next_cursor", () => {
  const pages: Record<string, unknown> = {
    "": { items: [{ id: "a1" }], next_cursor: "c2" },
    c2: { items: [{ id: "a2" }], next_cursor: null },
  };
  return withFetch(
    async (url) => new Response(JSON.stringify(pages[new URL(url).searchParams.get("cursor") ?? ""])),
    async () => {
      const r = await annotationsOn(settings, "https://x.test/a");
      assert.ok(r.ok);
      if (r.ok) assert.deepEqual(r.value.map((a) => a.id), ["a1", "a2"]);
    },
  );
});

test("a 429 is asked again after Retry-After, and a limit that lasts is the reader's error", async () => {
  let calls = 0;
  await withFetch(
    async () => {
      calls++;
      if (calls < 3) return new Response(JSON.stringify({ title: "Too many requests" }), { status: 429, headers: { "Retry-After": "0" } });
      return new Response(JSON.stringify({ terms: [] }), { status: 200 });
    },
    async () => {
      const r = await request(settings, "POST", "/v1/annotate", { text: "x" });
      assert.deepEqual(r, { ok: true, value: { terms: [] } });
    },
  );
  assert.equal(calls, 3);
  calls = 0;
  await withFetch(
    async () => {
      calls++;
      return new Response("{}", { status: 429, headers: { "Retry-After": "0" } });
    },
    async () => {
      const r = await request(settings, "GET", "/v1/me");
      assert.ok(!r.ok && r.error.status === 429 && r.error.message.includes("busy"));
    },
  );
  assert.equal(calls, RATE_LIMIT_RETRIES + 1);
  // A wait longer than the reader should sit through is not waited for.
  calls = 0;
  await withFetch(
    async () => {
      calls++;
      return new Response("{}", { status: 429, headers: { "Retry-After": "120" } });
    },
    async () => {
      const r = await request(settings, "GET", "/v1/me");
      assert.ok(!r.ok);
    },
  );
  assert.equal(calls, 1);
  assert.equal(retryAfterSeconds("2"), 2);
  assert.equal(retryAfterSeconds(null), 1);
  assert.equal(retryAfterSeconds("Wed, 21 Oct 2026 07:28:00 GMT"), 1);
});
