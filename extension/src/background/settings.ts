// Settings and per-tab status live in chrome.storage: an MV3 worker may die between two events.
import { normaliseDisplay } from "../shared/display";
import { DEFAULT_SETTINGS, type PageStatus, type Settings } from "../shared/types";

/** The settings as last read, until they change: every piece of a page is a message that needs
 * them, and a storage read is a round trip to the browser that each piece's request waited for. */
let held: Promise<Settings> | null = null;

// Written anywhere (the options page, another context, this one): read again next time.
chrome.storage.onChanged.addListener((changes, area) => {
  if (area === "local" && "settings" in changes) held = null;
});

export async function loadSettings(): Promise<Settings> {
  const settings = await (held ??= readSettings());
  // A copy: a caller that changes what it was given changes nothing stored, nor the next reply.
  return structuredClone(settings);
}

async function readSettings(): Promise<Settings> {
  try {
    const stored = (await chrome.storage.local.get("settings")) as { settings?: Partial<Settings> };
    const settings = { ...DEFAULT_SETTINGS, ...(stored.settings ?? {}) };
    // Stored by an older version, or only in part: made whole field by field.
    return { ...settings, display: normaliseDisplay(settings.display) };
  } catch (error) {
    held = null; // a failed read is not kept
    throw error;
  }
}

export async function saveSettings(patch: Partial<Settings>): Promise<Settings> {
  const next = { ...(await loadSettings()), ...patch };
  await chrome.storage.local.set({ settings: next });
  held = null; // read again: a read during the write may have found the old settings
  return next;
}

const tabKey = (tabId: number) => `tab:${tabId}`;

export async function loadTabStatus(tabId: number): Promise<PageStatus | null> {
  const key = tabKey(tabId);
  const stored = (await chrome.storage.session.get(key)) as Record<string, PageStatus | undefined>;
  return stored[key] ?? null;
}

export async function saveTabStatus(tabId: number, status: PageStatus | null): Promise<void> {
  if (status) await chrome.storage.session.set({ [tabKey(tabId)]: status });
  else await chrome.storage.session.remove(tabKey(tabId));
}
