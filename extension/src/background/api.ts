// The Gloss API client: every request the extension makes goes through here, in the worker.
import type { Problem } from "../shared/api.gen";
import type { ErrorInfo, Reply } from "../shared/messages";
import type { Settings } from "../shared/types";

export const TIMEOUT_MS = { annotate: 20000, default: 8000 };

/** A 429 (the per-token limit) is asked again after the server's Retry-After, this many times,
 * when the wait is at most MAX_RETRY_AFTER_S: the server did nothing with the request, so a
 * write is as safe to send again as a read. A longer wait is the reader's error to see. */
export const RATE_LIMIT_RETRIES = 3;
const MAX_RETRY_AFTER_S = 10;

/** The seconds a 429 asks to wait (Retry-After in seconds; 1 when missing or unreadable). */
export function retryAfterSeconds(header: string | null): number {
  const seconds = header === null ? Number.NaN : Number(header.trim());
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 1;
}

export function apiUrl(settings: Settings, path: string): string {
  return settings.serverUrl.replace(/\/+$/, "") + path;
}

/** Map a failed request to what the reader is told: down, slow, token, size, or other. */
/** `problem` is the RFC 9457 body when the server sent one (a proxy in between may send anything). */
export function errorFor(status: number | null, problem: Partial<Problem> | null, timedOut = false): ErrorInfo {
  if (timedOut) return { kind: "timeout", message: "The Gloss server is too slow to answer" };
  if (status === null) return { kind: "offline", message: "The Gloss server cannot be reached" };
  if (status === 401) return { kind: "unauthorized", status, message: "The token was rejected (401): check the options" };
  if (status === 403) return { kind: "forbidden", status, message: "This token may not do that (403)" };
  if (status === 412) return { kind: "server", status, message: "Someone changed it meanwhile (412): open it again" };
  if (status === 404) return { kind: "not-found", status, message: problem?.detail ?? "Not found (404)" };
  if (status === 413) return { kind: "too-large", status, message: "This page is too large for the server (413)" };
  if (status === 429) return { kind: "server", status, message: "The Gloss server is busy (429): try again in a moment" };
  return { kind: "server", status, message: `Server error ${status}${problem?.title ? `: ${problem.title}` : ""}` };
}

export async function request<T>(settings: Settings, method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS.default): Promise<Reply<T>> {
  const reply = await requestWithHeaders<T>(settings, method, path, body, { timeoutMs });
  return reply.ok ? { ok: true, value: reply.value.body } : reply;
}

/** A request that sends extra headers (If-Match) and reads the answer's ETag. */
export async function requestWithHeaders<T>(
  settings: Settings,
  method: string,
  path: string,
  body?: unknown,
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<Reply<{ body: T; etag: string | null }>> {
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS.default;
  if (!settings.serverUrl || !settings.token) {
    return { ok: false, error: { kind: "not-configured", message: "Set the server and token in the Gloss options" } };
  }
  let response: Response;
  for (let attempt = 0; ; attempt++) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      response = await fetch(apiUrl(settings, path), {
        method,
        headers: {
          Authorization: `Bearer ${settings.token}`,
          Accept: "application/json, application/ld+json, application/problem+json",
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
          ...(options.headers ?? {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: controller.signal,
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      return { ok: false, error: errorFor(null, null, controller.signal.aborted) };
    } finally {
      clearTimeout(timer);
    }
    if (response.status !== 429 || attempt >= RATE_LIMIT_RETRIES) break;
    const wait = retryAfterSeconds(response.headers.get("Retry-After"));
    if (wait > MAX_RETRY_AFTER_S) break;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
  let data: unknown = null;
  try {
    const text = await response.text();
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) return { ok: false, error: errorFor(response.status, data as Partial<Problem> | null) };
  return { ok: true, value: { body: data as T, etag: response.headers.get("ETag") } };
}

/** A cursor-paged list as the server sends it (`gloss.pagination.Page`). */
export interface Paged<T> {
  items: T[];
  next_cursor?: string | null;
}

/** Every item of a cursor-paged list, bounded so a huge list cannot stall the page. */
export async function allPages<P extends Paged<unknown>>(settings: Settings, path: string, maxPages = 20): Promise<Reply<P["items"]>> {
  const items: P["items"] = [];
  let cursor: string | null | undefined = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const reply: Reply<P> = await request<P>(settings, "GET", cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    if (!reply.ok) return reply;
    items.push(...reply.value.items);
    cursor = reply.value.next_cursor;
    if (!cursor) break;
  }
  return { ok: true, value: items };
}
