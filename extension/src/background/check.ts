// The options page's check: is the URL a Gloss server, and does it take the token? Said with what to try.
import type { Me } from "../shared/api.gen";
import type { ErrorInfo, Reply } from "../shared/messages";
import type { Settings } from "../shared/types";
import { apiUrl, TIMEOUT_MS } from "./api";

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

const START_HINT = "Is `gloss serve` running there, and are the host, port and http/https right?";
const PORT_HINT = "Check the port: `gloss serve` listens on 8000 unless told otherwise.";

async function get(fetchFn: Fetch, url: string, token: string | null): Promise<{ status: number; body: unknown } | "offline" | "timeout"> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS.default);
  try {
    const response = await fetchFn(url, {
      headers: { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      signal: controller.signal,
      credentials: "omit",
      cache: "no-store",
    });
    let body: unknown = null;
    try {
      body = JSON.parse(await response.text());
    } catch {
      body = null;
    }
    return { status: response.status, body };
  } catch {
    return controller.signal.aborted ? "timeout" : "offline";
  } finally {
    clearTimeout(timer);
  }
}

function fail(kind: ErrorInfo["kind"], message: string, status?: number): Reply<Me> {
  return { ok: false, error: { kind, message, ...(status !== undefined ? { status } : {}) } };
}

function isMe(body: unknown): body is Me {
  const b = body as Partial<Me> | null;
  return !!b && typeof b.id === "string" && typeof b.name === "string" && Array.isArray(b.teams);
}

/** `/healthz` first (no token: is this Gloss at all?), then `/v1/me` (does the token work?). */
export async function checkServer(settings: Settings, fetchFn: Fetch = (u, i) => fetch(u, i)): Promise<Reply<Me>> {
  const base = settings.serverUrl.replace(/\/+$/, "");
  if (!base) return fail("not-configured", "Enter the server URL, e.g. http://127.0.0.1:8000.");
  if (!settings.token) return fail("not-configured", "Enter a token: `gloss token create USER --team TEAM` prints one.");
  const health = await get(fetchFn, apiUrl(settings, "/healthz"), null);
  if (health === "offline") return fail("offline", `Nothing answers at ${base}. ${START_HINT}`);
  if (health === "timeout") return fail("timeout", `${base} did not answer within ${TIMEOUT_MS.default / 1000} s. ${START_HINT}`);
  const ok = health.status === 200 && (health.body as { status?: unknown } | null)?.status === "ok";
  if (!ok) {
    const said = health.status === 200 ? "an answer that is not Gloss's" : `HTTP ${health.status}`;
    return fail("not-gloss", `${base} answers, but it is not a Gloss server (GET /healthz gave ${said}). ${PORT_HINT}`, health.status);
  }
  const me = await get(fetchFn, apiUrl(settings, "/v1/me"), settings.token);
  if (me === "offline") return fail("offline", `${base} stopped answering during the check. ${START_HINT}`);
  if (me === "timeout") return fail("timeout", `${base} did not answer /v1/me within ${TIMEOUT_MS.default / 1000} s.`);
  if (me.status === 401) {
    return fail("unauthorized", `The Gloss server at ${base} rejected the token (401). Create one with \`gloss token create USER --team TEAM\` and paste it here.`, 401);
  }
  if (me.status === 403) return fail("forbidden", `The Gloss server at ${base} refused this token (403).`, 403);
  if (me.status === 200 && isMe(me.body)) return { ok: true, value: me.body };
  if (me.status === 200 || me.status === 404) {
    return fail("not-gloss", `${base} answers /healthz, but /v1/me is not Gloss's (HTTP ${me.status}). ${PORT_HINT}`, me.status);
  }
  return fail("server", `The server at ${base} failed on /v1/me (HTTP ${me.status}); its log says why.`, me.status);
}
