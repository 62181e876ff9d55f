// The Gloss API client: every request the extension makes goes through here, in the worker.
import type { ErrorInfo, Reply } from "../shared/messages";
import type { Settings } from "../shared/types";

export const TIMEOUT_MS = { annotate: 20000, default: 8000 };

export function apiUrl(settings: Settings, path: string): string {
  return settings.serverUrl.replace(/\/+$/, "") + path;
}

/** Map a failed request to what the reader is told: down, slow, token, size, or other. */
export function errorFor(status: number | null, problem: { title?: string; detail?: string } | null, timedOut = false): ErrorInfo {
  if (timedOut) return { kind: "timeout", message: "The Gloss server is too slow to answer" };
  if (status === null) return { kind: "offline", message: "The Gloss server cannot be reached" };
  if (status === 401) return { kind: "unauthorized", status, message: "The token was rejected (401): check the options" };
  if (status === 403) return { kind: "forbidden", status, message: "This token may not do that (403)" };
  if (status === 404) return { kind: "not-found", status, message: problem?.detail ?? "Not found (404)" };
  if (status === 413) return { kind: "too-large", status, message: "This page is too large for the server (413)" };
  return { kind: "server", status, message: `Server error ${status}${problem?.title ? `: ${problem.title}` : ""}` };
}

export async function request<T>(settings: Settings, method: string, path: string, body?: unknown, timeoutMs = TIMEOUT_MS.default): Promise<Reply<T>> {
  if (!settings.serverUrl || !settings.token) {
    return { ok: false, error: { kind: "not-configured", message: "Set the server and token in the Gloss options" } };
  }
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(apiUrl(settings, path), {
      method,
      headers: {
        Authorization: `Bearer ${settings.token}`,
        Accept: "application/json, application/ld+json, application/problem+json",
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
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
  let data: unknown = null;
  try {
    const text = await response.text();
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) return { ok: false, error: errorFor(response.status, data as { title?: string; detail?: string } | null) };
  return { ok: true, value: data as T };
}

/** A list answer in any of the shapes a paged API uses: a bare list, `items`, or an AS2 page. */
export function listItems<T>(data: unknown): T[] {
  if (Array.isArray(data)) return data as T[];
  if (data && typeof data === "object") {
    const d = data as Record<string, unknown>;
    for (const key of ["items", "data", "results", "annotations", "collections"]) {
      if (Array.isArray(d[key])) return d[key] as T[];
    }
    const first = d.first as Record<string, unknown> | undefined;
    if (first && Array.isArray(first.items)) return first.items as T[];
  }
  return [];
}
