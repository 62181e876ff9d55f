// The server URL as the reader typed it, made into one the worker can call, or refused with why.

export type ServerUrl = { ok: true; url: string; fixed: boolean } | { ok: false; message: string };

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?(?:\/|$)/i;

/**
 * `localhost:8000` becomes `http://localhost:8000` (loopback is plain http), `gloss.example.com`
 * becomes `https://gloss.example.com`; a scheme other than http or https is refused. Trailing
 * slashes go: the worker appends `/v1/...`.
 */
export function normaliseServerUrl(input: string): ServerUrl {
  let text = input.trim();
  if (!text) return { ok: false, message: "Enter the server URL, e.g. http://127.0.0.1:8000." };
  let fixed = false;
  const scheme = SCHEME.exec(text);
  if (!scheme) {
    if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(text) && !/^[^/]*:\d+(\/|$)/.test(text)) {
      return { ok: false, message: `“${text}” is not a web address: the server URL starts with http:// or https://.` };
    }
    text = `${LOOPBACK.test(text) ? "http" : "https"}://${text.replace(/^\/+/, "")}`;
    fixed = true;
  } else if (!/^https?$/i.test(scheme[1]!)) {
    return { ok: false, message: `The server URL must start with http:// or https://, not ${scheme[1]}://.` };
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, message: `“${input.trim()}” is not a URL Gloss can call; try http://127.0.0.1:8000.` };
  }
  if (!u.hostname) return { ok: false, message: `“${input.trim()}” has no host name; try http://127.0.0.1:8000.` };
  if (u.search || u.hash) return { ok: false, message: "The server URL takes no ?query or #fragment: give the address `gloss serve` printed." };
  if (u.username || u.password) return { ok: false, message: "Put the token in the Token field, not in the URL." };
  const url = `${u.protocol}//${u.host}${u.pathname}`.replace(/\/+$/, "");
  return { ok: true, url, fixed };
}
