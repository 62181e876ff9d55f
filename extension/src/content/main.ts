// The content script's entry: build the page session, cards, keys and save flow once, and wire messages.
import { normaliseDisplay } from "../shared/display";
import { type BackgroundToContent, isMessage } from "../shared/messages";
import { Cards } from "./card/cards";
import { installKeyboard } from "./keyboard";
import { extensionAlive, send } from "./messaging";
import { PageSession } from "./page";
import { SaveFlow } from "./save/save";

declare global {
  interface Window {
    __glossContent?: boolean;
  }
}

/** Registered at `document_start` (background/main.ts): the worker is asked about this page
 * while the page is still loading, and the page is read once its DOM is complete. The reader's
 * first highlight waits neither for this script to be compiled nor for the worker's answer. */
async function boot(doc: Document): Promise<void> {
  const hello = send({ type: "content/hello", url: location.href });
  await domComplete(doc);
  const page: PageSession = new PageSession(doc, {
    annotated: () => cards.resetFocus(),
    stopped: () => cards.close(),
  });
  const cards = new Cards(doc, page);
  const save = new SaveFlow(doc, page);

  page.publish("idle");
  cards.install();
  installKeyboard(window, page, cards, save);
  save.install();

  chrome.runtime.onMessage.addListener((message: unknown, _sender, reply: (r: unknown) => void) => {
    if (!isMessage(message)) return undefined;
    const m = message as BackgroundToContent;
    switch (m.type) {
      case "background/ping":
        reply({ ok: true, value: page.current });
        return undefined;
      case "background/annotate-now":
        page.start();
        reply({ ok: true, value: null });
        return undefined;
      case "background/stop":
        page.stop();
        reply({ ok: true, value: null });
        return undefined;
      case "background/display":
        page.setDisplay(normaliseDisplay(m.display));
        reply({ ok: true, value: null });
        return undefined;
      case "background/open-save-form":
        void save.openForm();
        reply({ ok: true, value: null });
        return undefined;
      default:
        return undefined;
    }
  });
  // The frames leave with the page and are made again when next needed. (Chromium keeps no page
  // that ever embedded an extension frame in its back/forward cache, which is why they are made
  // only when a card or the save button is first needed: see docs/extension.md.)
  window.addEventListener("pagehide", (e) => {
    if (!e.isTrusted) return;
    cards.detach();
    save.detach();
  });
  // Back/forward cache: the page comes back as it was; the badge and status must follow it.
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) {
      if (!extensionAlive()) return;
      if (page.navigatedAway()) void page.annotate();
      else page.reportStatus();
    }
  });
  window.addEventListener("popstate", () => {
    if (page.navigatedAway()) void page.annotate();
  });
  const settings = await hello;
  if (settings.ok) page.setDisplay(normaliseDisplay(settings.value.display));
  if (settings.ok && settings.value.auto) page.start();
}

/** Resolves once the document is parsed: at once when this script was injected later (a click
 * in the popup), else at `DOMContentLoaded`. */
function domComplete(doc: Document): Promise<void> {
  if (doc.readyState !== "loading") return Promise.resolve();
  return new Promise((resolve) => doc.addEventListener("DOMContentLoaded", () => resolve(), { once: true }));
}

// The worker may inject this script into a page that already runs it (a click after auto).
if (!window.__glossContent) {
  window.__glossContent = true;
  void boot(document);
}
