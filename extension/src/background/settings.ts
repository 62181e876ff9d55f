// Settings and per-tab status live in chrome.storage: an MV3 worker may die between two events.
import { normaliseDisplay } from "../shared/display";
import { DEFAULT_SETTINGS, type PageStatus, type Settings } from "../shared/types";

export async function loadSettings(): Promise<Settings> {
  const stored = (await chrome.storage.local.get("settings")) as { settings?: Partial<Settings> };
  const settings = { ...DEFAULT_SETTINGS, ...(stored.settings ?? {}) };
  // Stored by an older version, or only in part: made whole field by field.
  return { ...settings, display: normaliseDisplay(settings.display) };
}

export async function saveSettings(patch: Partial<Settings>): Promise<Settings> {
  const next = { ...(await loadSettings()), ...patch };
  await chrome.storage.local.set({ settings: next });
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
