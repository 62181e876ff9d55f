// The toolbar popup: annotate this page, turn this site on or off, see state and orphans.
import { type Display, MENTION_KINDS, type MentionKind } from "../shared/display";
import { ENTITY_STYLE, FOCUS_STYLE, SAVED_STYLE, TERM_STYLE } from "../shared/highlight-style";
import { originPattern } from "../shared/match-patterns";
import type { TabState } from "../shared/messages";
import { send } from "./send";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>("status");
const annotateButton = $<HTMLButtonElement>("annotate");
const toggle = $<HTMLInputElement>("site-toggle");
const orphansSection = $<HTMLElement>("orphans-section");
const orphanList = $<HTMLUListElement>("orphans");
const everyMention = $<HTMLInputElement>("every-mention");

/** A word drawn as the page draws that kind, so the toggles and the legend match the page. */
function sample(text: string, style: string): HTMLSpanElement {
  const span = document.createElement("span");
  span.className = "sample";
  span.style.cssText = style;
  span.textContent = text;
  return span;
}

let displayShown = false;
/** The tab's state as last shown. */
let shown: TabState | null = null;
const kindBoxes = new Map<MentionKind, HTMLInputElement>();

function buildDisplayControls(onChange: () => void): void {
  $("kinds").replaceChildren(
    ...MENTION_KINDS.map(({ kind, label, hint }) => {
      const row = document.createElement("label");
      row.className = "toggle kind";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `kind-${kind}`;
      box.dataset.kind = kind;
      box.addEventListener("change", onChange);
      kindBoxes.set(kind, box);
      const note = document.createElement("span");
      note.className = "hint";
      note.textContent = hint;
      row.append(box, " ", sample(label, kind === "term" ? TERM_STYLE : ENTITY_STYLE), note);
      return row;
    }),
  );
  everyMention.addEventListener("change", onChange);
  const item = (node: HTMLElement, text: string) => {
    const li = document.createElement("li");
    li.append(node, ` ${text}`);
    return li;
  };
  $("legend").replaceChildren(
    item(sample("Name", ENTITY_STYLE), "dotted blue underline: people, organisations, places, other names, nationalities and groups"),
    item(sample("term", TERM_STYLE), "solid amber underline: the team’s glossary terms"),
    item(sample("saved", SAVED_STYLE.yellow), "fill, in the colour chosen: saved highlights (yellow, green, blue or pink)"),
    item(sample("focus", FOCUS_STYLE), "violet fill: the highlight the keyboard is on (Alt+Shift+N / P)"),
  );
}

function readDisplay(): Display {
  const kinds = {} as Display["kinds"];
  for (const { kind } of MENTION_KINDS) kinds[kind] = kindBoxes.get(kind)?.checked ?? false;
  return { firstOnly: !everyMention.checked, kinds };
}

function showDisplay(d: Display): void {
  for (const [kind, box] of kindBoxes) box.checked = d.kinds[kind];
  everyMention.checked = !d.firstOnly;
}

async function currentTabId(): Promise<number | null> {
  // Tests open the popup as a page and name the tab they mean.
  const fromQuery = new URLSearchParams(location.search).get("tab");
  if (fromQuery) return Number(fromQuery);
  const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
  return tab?.id ?? null;
}

export function describeState(s: TabState): { state: string; text: string } {
  if (!s.allowedScheme) return { state: "forbidden", text: "Gloss does not read this kind of page." };
  if (!s.configured) return { state: "error", text: "Set the server and token in Options first." };
  const st = s.status;
  if (!st || st.state === "idle") return { state: "idle", text: s.siteEnabled ? "Waiting for the page." : "Not annotated: nothing is sent until you ask." };
  if (st.state === "annotating") return { state: "annotating", text: "Annotating…" };
  if (st.state === "error") return { state: "error", text: st.error?.message ?? "Something went wrong." };
  const saved = st.anchored ? `, ${st.anchored} saved highlight${st.anchored > 1 ? "s" : ""}` : "";
  return { state: "annotated", text: `${st.count} annotation${st.count === 1 ? "" : "s"} on this page${saved}.` };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

async function refresh(tabId: number): Promise<void> {
  const reply = await send({ type: "ui/tab-state", tabId });
  if (!reply.ok) {
    status.dataset.state = "error";
    status.textContent = reply.error.message;
    return;
  }
  const s = reply.value;
  shown = s;
  // The pattern the reader allowed, as stored (it may be broader than this site); else the host.
  $("site").textContent = s.sitePattern ? `allowed: ${s.sitePattern}` : s.origin ? hostOf(s.url) : "";
  $("site").dataset.pattern = s.sitePattern ?? "";
  // Once: later refreshes (the page's status changing) must not undo a click still being saved.
  if (!displayShown) showDisplay(s.display);
  displayShown = true;
  const d = describeState(s);
  status.dataset.state = d.state;
  status.textContent = d.text;
  annotateButton.disabled = !s.allowedScheme || !s.configured;
  toggle.disabled = !s.allowedScheme;
  toggle.checked = s.siteEnabled;
  const orphans = s.status?.orphans ?? [];
  orphansSection.hidden = orphans.length === 0;
  orphanList.replaceChildren(
    ...orphans.map((o) => {
      const li = document.createElement("li");
      li.textContent = o.exact ? `“${o.exact.length > 80 ? `${o.exact.slice(0, 80)}…` : o.exact}”` : `(annotation ${o.id})`;
      return li;
    }),
  );
}

async function init(): Promise<void> {
  const tabId = await currentTabId();
  buildDisplayControls(() => void send({ type: "ui/set-display", display: readDisplay() }));
  if (tabId === null) return;
  annotateButton.addEventListener("click", async () => {
    const reply = await send({ type: "ui/annotate-tab", tabId });
    if (!reply.ok) status.textContent = reply.error.message;
  });
  toggle.addEventListener("change", async () => {
    const enabled = toggle.checked;
    if (enabled) {
      // The page's site as the last refresh saw it: `request` must be the handler's first await
      // (Firefox refuses it once the click handler has awaited anything else).
      const url = shown?.url ?? "";
      const pattern = originPattern(url);
      if (pattern) {
        // Asked in the click itself, for this site only (loopback too: see options.ts).
        const granted = await chrome.permissions.request({ origins: [pattern] }).catch(() => false);
        if (!granted) {
          toggle.checked = false;
          status.textContent = "Gloss was not given access to this site.";
          return;
        }
      }
    }
    await send({ type: "ui/set-site", tabId, enabled });
    await refresh(tabId);
  });
  await refresh(tabId);
  // Follow the page while the popup is open.
  chrome.storage.session.onChanged.addListener(() => void refresh(tabId));
}

void init();
