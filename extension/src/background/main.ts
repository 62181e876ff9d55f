// The service worker: the only part that talks to the server; badge, menus, shortcut, site access.
import type { NewAnnotation } from "../shared/api";
import type { Annotation } from "../shared/api.gen";
import { type AnyMessage, type BackgroundToContent, type CollectionsReply, type FrameToBackground, isMessage, type Reply, type TabState } from "../shared/messages";
import { normaliseDisplay, type Display } from "../shared/display";
import { allowingPattern, isForbiddenUrl, originPattern, siteEnabled } from "../shared/match-patterns";
import type { PageStatus } from "../shared/types";
import { checkServer } from "./check";
import { claimFrame, forgetFrames, frameClaimed, issueNonce } from "./frames";
import * as server from "./server";
import { loadSettings, loadTabStatus, saveSettings, saveTabStatus } from "./settings";

const CONTENT_SCRIPT_ID = "gloss-auto";
const MENU_ID = "gloss-save";
const extensionOrigin = chrome.runtime.getURL("");

// ---- Automatic annotation: registered content scripts for the allowed, granted sites --------------

async function grantedSites(sites: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of sites) {
    try {
      if (await chrome.permissions.contains({ origins: [s] })) out.push(s);
    } catch {
      // An invalid pattern is left out; the options page shows why.
    }
  }
  return out;
}

async function registerAutoScripts(): Promise<void> {
  const settings = await loadSettings();
  const matches = await grantedSites(settings.sites);
  try {
    await chrome.scripting.unregisterContentScripts({ ids: [CONTENT_SCRIPT_ID] });
  } catch {
    // Not registered yet.
  }
  if (matches.length === 0) return;
  await chrome.scripting.registerContentScripts([
    {
      id: CONTENT_SCRIPT_ID,
      matches,
      excludeMatches: settings.disabledOrigins,
      js: ["content.js"],
      // Started while the page loads: it asks this worker about the page meanwhile and reads
      // the page at DOMContentLoaded (content/main.ts boot).
      runAt: "document_start",
      allFrames: false,
      persistAcrossSessions: true,
    },
  ]);
}

// ---- Badge -------------------------------------------------------------------------------------

async function setBadge(tabId: number, status: PageStatus | null): Promise<void> {
  try {
    if (!status || status.state === "idle") {
      await chrome.action.setBadgeText({ tabId, text: "" });
      await chrome.action.setTitle({ tabId, title: "Gloss" });
      return;
    }
    if (status.state === "annotating") {
      await chrome.action.setBadgeBackgroundColor({ tabId, color: "#7a7f8a" });
      await chrome.action.setBadgeText({ tabId, text: "…" });
      await chrome.action.setTitle({ tabId, title: "Gloss: annotating" });
      return;
    }
    if (status.state === "error") {
      await chrome.action.setBadgeBackgroundColor({ tabId, color: "#c62828" });
      await chrome.action.setBadgeText({ tabId, text: "!" });
      await chrome.action.setTitle({ tabId, title: `Gloss: ${status.error?.message ?? "error"}` });
      return;
    }
    await chrome.action.setBadgeBackgroundColor({ tabId, color: status.orphans.length ? "#b26a00" : "#2e7d32" });
    await chrome.action.setBadgeText({ tabId, text: status.count > 999 ? "999+" : String(status.count) });
    const orphanNote = status.orphans.length ? `, ${status.orphans.length} highlight(s) not found` : "";
    await chrome.action.setTitle({ tabId, title: `Gloss: ${status.count} annotations${orphanNote}` });
  } catch {
    // The tab went away.
  }
}

// ---- Tabs: inject on demand ----------------------------------------------------------------------

async function sendToTab(tabId: number, message: BackgroundToContent): Promise<boolean> {
  try {
    const reply = await chrome.tabs.sendMessage(tabId, message);
    return !!reply;
  } catch {
    return false;
  }
}

/** Make sure the content script runs in the tab (activeTab or a granted host lets us inject). */
async function ensureContent(tabId: number): Promise<boolean> {
  const tab = await chrome.tabs.get(tabId);
  if (!tab.url || isForbiddenUrl(tab.url, extensionOrigin)) return false;
  if (await sendToTab(tabId, { type: "background/ping" })) return true;
  try {
    await chrome.scripting.executeScript({ target: { tabId }, files: ["content.js"] });
    return true;
  } catch {
    return false;
  }
}

async function annotateTab(tabId: number): Promise<Reply<null>> {
  if (!(await ensureContent(tabId))) {
    return { ok: false, error: { kind: "forbidden", message: "Gloss cannot read this page" } };
  }
  await sendToTab(tabId, { type: "background/annotate-now" });
  return { ok: true, value: null };
}

async function tabState(tabId: number): Promise<TabState> {
  const tab = await chrome.tabs.get(tabId);
  const settings = await loadSettings();
  const url = tab.url ?? "";
  const allowedScheme = !!url && !isForbiddenUrl(url, extensionOrigin);
  return {
    url,
    origin: originPattern(url),
    allowedScheme,
    siteEnabled: allowedScheme && siteEnabled(url, settings.sites, settings.disabledOrigins),
    status: await loadTabStatus(tabId),
    configured: !!settings.serverUrl && !!settings.token,
    sitePattern: allowedScheme ? allowingPattern(url, settings.sites, settings.disabledOrigins) : null,
    display: settings.display,
  };
}

async function setSite(tabId: number, enabled: boolean): Promise<Reply<null>> {
  const tab = await chrome.tabs.get(tabId);
  const url = tab.url ?? "";
  const origin = originPattern(url);
  if (!origin || isForbiddenUrl(url, extensionOrigin)) return { ok: false, error: { kind: "forbidden", message: "Gloss cannot read this page" } };
  const settings = await loadSettings();
  if (enabled) {
    const sites = siteEnabled(url, settings.sites, []) ? settings.sites : [...settings.sites, origin];
    await saveSettings({ sites, disabledOrigins: settings.disabledOrigins.filter((o) => o !== origin) });
    await registerAutoScripts();
    return annotateTab(tabId);
  }
  await saveSettings({ disabledOrigins: [...new Set([...settings.disabledOrigins, origin])] });
  await registerAutoScripts();
  await sendToTab(tabId, { type: "background/stop" });
  return { ok: true, value: null };
}

/** Remember the reader's display choice and re-draw every open page from the answer it holds. */
async function setDisplay(value: unknown): Promise<Reply<Display>> {
  const display = normaliseDisplay(value);
  await saveSettings({ display });
  const tabs = await chrome.tabs.query({});
  // A tab without our content script does not answer; it reads the choice when it starts.
  await Promise.all(tabs.map((t) => (t.id === undefined ? false : sendToTab(t.id, { type: "background/display", display }))));
  return { ok: true, value: display };
}

// ---- Server calls that keep state -------------------------------------------------------------

/** The collections the reader may save into, with their teams, and the one used last on this site. */
async function collectionsFor(url: string): Promise<Reply<CollectionsReply>> {
  const settings = await loadSettings();
  const [reply, me] = await Promise.all([server.collections(settings), server.me(settings)]);
  if (!reply.ok) return reply;
  const memberships = me.ok ? me.value.teams : [];
  const teamName = new Map(memberships.map((t) => [t.id, t.name]));
  const teams = memberships.filter((t) => t.role !== "viewer").map((t) => ({ id: t.id, name: t.name }));
  // Only collections the reader may write to are offered.
  const writable = reply.value.filter((c) => c.role !== "viewer");
  const collections = writable.map((c) => ({ id: c.id, name: c.name, team: c.team_id ? (teamName.get(c.team_id) ?? null) : null, private: c.private }));
  const site = originPattern(url);
  const remembered = [site ? settings.lastCollectionBySite[site] : undefined, settings.lastCollection];
  const lastUsed = remembered.find((id) => id && collections.some((c) => c.id === id)) ?? (collections.length === 1 ? collections[0]!.id : null);
  return { ok: true, value: { collections, teams, lastUsed } };
}

async function saveAnnotation(collectionId: string, annotation: NewAnnotation, url: string): Promise<Reply<Annotation>> {
  const settings = await loadSettings();
  const reply = await server.createAnnotation(settings, collectionId, annotation);
  if (reply.ok) {
    const site = originPattern(url);
    const bySite = site ? { ...settings.lastCollectionBySite, [site]: collectionId } : settings.lastCollectionBySite;
    await saveSettings({ lastCollection: collectionId, lastCollectionBySite: bySite });
  }
  return reply;
}

/** What the extension's own frame asks: only a frame that claimed its tab's nonce is answered. */
async function handleFrame(message: FrameToBackground, sender: chrome.runtime.MessageSender): Promise<unknown> {
  const tabId = sender.tab?.id;
  const frameId = sender.frameId;
  if (tabId === undefined || frameId === undefined) return { ok: false, error: { kind: "forbidden", message: "Not a Gloss frame" } };
  if (message.type === "frame/claim") {
    const ok = await claimFrame(tabId, frameId, message.role, message.nonce);
    return ok ? { ok: true, value: null } : { ok: false, error: { kind: "forbidden", message: "Not a Gloss frame" } };
  }
  if (!(await frameClaimed(tabId, frameId))) return { ok: false, error: { kind: "forbidden", message: "Not a Gloss frame" } };
  const settings = await loadSettings();
  switch (message.type) {
    case "frame/card":
      return server.card(settings, message.query);
    case "frame/collections":
      return collectionsFor(message.url);
    case "frame/create-collection":
      return server.createCollection(settings, message.name, message.teamId);
    case "frame/save-annotation":
      return saveAnnotation(message.collectionId, message.annotation, message.url);
    case "frame/annotation": {
      const reply = await server.getAnnotation(settings, message.id);
      return reply.ok ? { ok: true, value: reply.value.body } : reply;
    }
    case "frame/update-annotation":
      return server.updateAnnotation(settings, message.id, { note: message.note, tags: message.tags, color: message.color });
    case "frame/delete-annotation":
      return server.deleteAnnotation(settings, message.id);
  }
}

// ---- Message routing ---------------------------------------------------------------------------

async function handle(message: AnyMessage, sender: chrome.runtime.MessageSender): Promise<unknown> {
  const tabId = sender.tab?.id;
  if (message.type.startsWith("frame/")) {
    // Only frame.html may speak as a frame; content scripts and other pages may not.
    if (!sender.url?.startsWith(`${extensionOrigin}frame.html`)) return { ok: false, error: { kind: "forbidden", message: "Not a Gloss frame" } };
    return handleFrame(message as FrameToBackground, sender);
  }
  if (message.type.startsWith("content/") && sender.url?.startsWith(extensionOrigin)) {
    // The content script runs in pages, never in the extension's own.
    return { ok: false, error: { kind: "forbidden", message: "Not a content script" } };
  }
  switch (message.type) {
    case "content/hello": {
      const settings = await loadSettings();
      const auto = !isForbiddenUrl(message.url, extensionOrigin) && siteEnabled(message.url, settings.sites, settings.disabledOrigins);
      return { ok: true, value: { auto, display: settings.display } };
    }
    case "content/annotate":
      return server.annotate(await loadSettings(), message.text, message.url, message.title, message.include, message.priority);
    case "content/frame-nonce":
      if (tabId === undefined || sender.frameId === undefined) return { ok: false, error: { kind: "forbidden", message: "Not a tab" } };
      return { ok: true, value: { nonce: await issueNonce(tabId, sender.frameId, message.role) } };
    case "content/annotations-for-url":
      return server.annotationsOn(await loadSettings(), message.url);
    case "content/status":
      if (tabId !== undefined) {
        await saveTabStatus(tabId, message.status);
        await setBadge(tabId, message.status);
      }
      return { ok: true, value: null };
    case "ui/tab-state":
      return { ok: true, value: await tabState(message.tabId) };
    case "ui/annotate-tab":
      return annotateTab(message.tabId);
    case "ui/set-site":
      return setSite(message.tabId, message.enabled);
    case "ui/set-display":
      return setDisplay(message.display);
    case "ui/check-server":
      return checkServer(await loadSettings());
    case "ui/invitations":
      return server.invitations(await loadSettings());
    case "ui/answer-invitation": {
      const settings = await loadSettings();
      const reply = message.accept ? await server.acceptInvitation(settings, message.id) : await server.declineInvitation(settings, message.id);
      return reply.ok ? { ok: true, value: null } : reply;
    }
    case "ui/settings-changed":
      await registerAutoScripts();
      return { ok: true, value: null };
    default:
      return { ok: false, error: { kind: "server", message: "Unknown message" } };
  }
}

chrome.runtime.onMessage.addListener((message: unknown, sender, sendResponse) => {
  // Only our own pages and content scripts can reach this listener (no externally_connectable).
  if (sender.id !== chrome.runtime.id || !isMessage(message)) return undefined;
  if (message.type.startsWith("ui/") && sender.tab && sender.url && !sender.url.startsWith(extensionOrigin)) return undefined;
  handle(message, sender).then(sendResponse, (err: unknown) => sendResponse({ ok: false, error: { kind: "server", message: String(err) } }));
  return true;
});

chrome.commands.onCommand.addListener((command, tab) => {
  if (command !== "annotate-page") return;
  const go = (id: number | undefined) => id !== undefined && void annotateTab(id);
  if (tab?.id !== undefined) go(tab.id);
  else void chrome.tabs.query({ active: true, currentWindow: true }).then((tabs) => go(tabs[0]?.id));
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId !== MENU_ID || tab?.id === undefined) return;
  const tabId = tab.id;
  void ensureContent(tabId).then((ok) => ok && sendToTab(tabId, { type: "background/open-save-form" }));
});

chrome.tabs.onRemoved.addListener((tabId) => {
  void saveTabStatus(tabId, null);
  void forgetFrames(tabId);
});
chrome.tabs.onUpdated.addListener((tabId, change) => {
  if (change.status === "loading" && change.url) void saveTabStatus(tabId, null).then(() => setBadge(tabId, null));
});

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.removeAll(() => {
    chrome.contextMenus.create({ id: MENU_ID, title: "Save to Gloss", contexts: ["selection"] });
  });
  void registerAutoScripts();
});
chrome.runtime.onStartup.addListener(() => void registerAutoScripts());

