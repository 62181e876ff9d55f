// Chrome/Firefox match patterns ("https://*.example.com/*"): parse, validate and test URLs.

const PATTERN = /^(\*|https?):\/\/(\*|\*\.[^/*:]+|[^/*:]+)(:\d+)?(\/.*)$/;

export interface ParsedPattern {
  scheme: string;
  host: string;
  path: string;
}

export function parsePattern(pattern: string): ParsedPattern | null {
  if (pattern === "<all_urls>") return { scheme: "*", host: "*", path: "/*" };
  const m = PATTERN.exec(pattern.trim());
  if (!m) return null;
  return { scheme: m[1]!, host: m[2]!, path: m[4]! };
}

/** The lines of the options' sites box that are valid patterns, and the ones that are not. */
export function splitSites(text: string): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    (parsePattern(line) ? valid : invalid).push(line);
  }
  return { valid, invalid };
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${escaped}$`);
}

export function matchesPattern(pattern: string, url: string): boolean {
  const p = parsePattern(pattern);
  if (!p) return false;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") return false;
  if (p.scheme !== "*" && p.scheme !== scheme) return false;
  const host = u.hostname;
  if (p.host !== "*") {
    if (p.host.startsWith("*.")) {
      const base = p.host.slice(2);
      if (host !== base && !host.endsWith(`.${base}`)) return false;
    } else if (host !== p.host) {
      return false;
    }
  }
  return globToRegExp(p.path).test(u.pathname + u.search);
}

/** Pages we never read, whatever the settings say. */
export function isForbiddenUrl(url: string, extensionOrigin = ""): boolean {
  if (extensionOrigin && url.startsWith(extensionOrigin)) return true;
  return !/^https?:\/\//i.test(url);
}

/** The match pattern for a page's origin (ports are ignored by match patterns). */
export function originPattern(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return `${u.protocol}//${u.hostname}/*`;
  } catch {
    return null;
  }
}

export function isLoopback(url: string): boolean {
  try {
    const h = new URL(url).hostname;
    return h === "127.0.0.1" || h === "localhost" || h === "[::1]";
  } catch {
    return false;
  }
}

/** Whether the automatic annotation is on for this URL. */
export function siteEnabled(url: string, sites: string[], disabledOrigins: string[]): boolean {
  const origin = originPattern(url);
  if (!origin || disabledOrigins.includes(origin)) return false;
  return sites.some((s) => matchesPattern(s, url));
}

/** The stored pattern that turns automatic annotation on for this URL (the first that matches). */
export function allowingPattern(url: string, sites: string[], disabledOrigins: string[]): string | null {
  if (!siteEnabled(url, sites, disabledOrigins)) return null;
  return sites.find((s) => matchesPattern(s, url)) ?? null;
}
