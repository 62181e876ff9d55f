import assert from "node:assert/strict";
import { test } from "node:test";
import { errorFor } from "../src/background/api";
import { renderCard } from "../src/frame/card";
import { placeBeside, placeCard } from "../src/content/card/place";
import { viewOfCard, viewOfEntity, viewOfTermHit } from "../src/shared/card-view";
import { FETCH_AFTER_MS, HIDE_AFTER_MS, HoverController, SHOW_AFTER_MS, type Timers } from "../src/content/card/hover";
import { createHighlighter } from "../src/content/render/highlighter";
import { spansAt, spansFromAnswer } from "../src/content/render/spans";
import { extractText } from "../src/content/extract/extract";
import { collectionLabel, parseTags, renderSaveForm, renderSavedCard } from "../src/frame/save-form";
import { renderInvitations } from "../src/ui/invitations";
import { isMessage } from "../src/shared/messages";
import { isForbiddenUrl, matchesPattern, siteEnabled, splitSites } from "../src/shared/match-patterns";
import { dom, inlineHidden } from "./dom";

class FakeTimers implements Timers {
  t = 0;
  private id = 0;
  private tasks = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number) {
    this.tasks.set(++this.id, { at: this.t + ms, fn });
    return this.id;
  }
  clear(id: number) {
    this.tasks.delete(id);
  }
  now() {
    return this.t;
  }
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.tasks.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.tasks.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
      await Promise.resolve();
      await Promise.resolve();
    }
    this.t = end;
  }
}

function controller() {
  const timers = new FakeTimers();
  const log: string[] = [];
  const hover = new HoverController<string>(timers, {
    fetch: async (k) => {
      log.push(`fetch:${k}@${timers.t}`);
      return k;
    },
    show: (k) => log.push(`show:${k}@${timers.t}`),
    hide: () => log.push(`hide@${timers.t}`),
  });
  return { timers, log, hover };
}

test("hover: fetch after 150 ms, show at 400 ms, hide 300 ms after leaving", async () => {
  const { timers, log, hover } = controller();
  hover.enter("a");
  await timers.advance(FETCH_AFTER_MS - 1);
  assert.deepEqual(log, []);
  await timers.advance(1);
  assert.deepEqual(log, [`fetch:a@${FETCH_AFTER_MS}`]);
  await timers.advance(SHOW_AFTER_MS - FETCH_AFTER_MS);
  assert.deepEqual(log.slice(1), [`show:a@${SHOW_AFTER_MS}`]);
  hover.leave();
  await timers.advance(HIDE_AFTER_MS - 1);
  assert.equal(log.length, 2);
  await timers.advance(1);
  assert.equal(log[2], `hide@${SHOW_AFTER_MS + HIDE_AFTER_MS}`);
});

test("hover: a quick pass shows nothing; the card keeps itself open; Escape closes", async () => {
  const { timers, log, hover } = controller();
  hover.enter("a");
  await timers.advance(100);
  hover.leave();
  await timers.advance(1000);
  assert.equal(log.length, 0);
  hover.enter("b");
  await timers.advance(500);
  hover.leave();
  hover.enterCard();
  await timers.advance(1000);
  assert.ok(!log.some((l) => l.startsWith("hide")));
  hover.close();
  assert.ok(log.at(-1)!.startsWith("hide"));
});

test("hover: moving to another highlight hides the old card at once", async () => {
  const { timers, log, hover } = controller();
  hover.enter("a");
  await timers.advance(500);
  hover.enter("b");
  assert.equal(log.at(-1), "hide@500");
  await timers.advance(500);
  assert.equal(log.at(-1), "show:b@900");
});

test("hover: keyboard focus opens at once", async () => {
  const { timers, log, hover } = controller();
  hover.enter("k", true);
  await timers.advance(0);
  assert.deepEqual(log, ["fetch:k@0", "show:k@0"]);
});

test("card renders server text as text, never HTML", () => {
  const d = dom("");
  const evil = `<img src=x onerror=alert(1)>`;
  const card = renderCard(d, { kind: "term", title: evil, label: null, definition: evil, aliases: [evil], link: "javascript:alert(1)", glossary: evil, knowledge: null, related: [{ article_id: "1", url: "javascript:alert(2)", title: evil, snippet: evil, score: 1, published_at: null }] });
  assert.equal(card.querySelectorAll("img").length, 0);
  assert.equal(card.querySelectorAll("a").length, 0, "javascript: links are not links");
  assert.ok(card.querySelector(".definition")!.textContent!.includes("<img src=x onerror=alert(1)>"));
});

const article = (title: string, url: string) => ({ article_id: url, url, title, source: "Wire", published_at: "2026-10-20T09:00:00Z" });

test("an entity card says what the store knows: count, a sentence, the latest, companions; all as text", () => {
  const d = dom("");
  const evil = `<img src=x onerror=alert(1)>`;
  const card = renderCard(d, {
    kind: "entity", title: "Huawei", label: "ORG", definition: null, aliases: [], link: null, glossary: null, related: [],
    knowledge: {
      article_count: 2,
      latest: [article(evil, "https://news.example/b"), article("Older", "javascript:alert(1)")],
      sentence: { text: `Huawei said ${evil}.`, article: article("B", "https://news.example/b") },
      appears_with: [{ key: "nvidia", text: "Nvidia", label: "ORG", articles: 2 }, { key: "tsmc", text: "TSMC", label: "ORG", articles: 1 }],
    },
  });
  assert.equal(card.querySelector(".count")!.textContent, "Named in 2 stored articles");
  assert.equal(card.querySelector(".sentence")!.textContent, `Huawei said ${evil}.`);
  assert.deepEqual([...card.querySelectorAll(".latest li")].map((li) => li.textContent), [`${evil} 2026-10-20 · Wire`, "Older 2026-10-20 · Wire"]);
  assert.equal(card.querySelectorAll(".latest a").length, 1, "a javascript: URL is not a link");
  assert.equal(card.querySelector(".with")!.textContent, "Often with: Nvidia, TSMC");
  assert.equal(card.querySelectorAll("img").length, 0);
  assert.equal(card.querySelector(".empty"), null);
});

test("a card with nothing to say says so in one line, and lists nothing", () => {
  const d = dom("");
  const none = { article_count: 0, latest: [], sentence: null, appears_with: [] };
  const card = renderCard(d, { kind: "entity", title: "Barack Obama", label: "PERSON", definition: null, aliases: [], link: null, glossary: null, related: [], knowledge: none });
  assert.equal(card.querySelector(".empty")!.textContent, "The team has nothing stored about Barack Obama yet.");
  assert.equal(card.querySelectorAll("ul, blockquote, .count").length, 0);
});

test("card placement stays on screen and flips above near the bottom", () => {
  const view = { width: 800, height: 600 };
  assert.deepEqual(placeCard({ left: 100, top: 100, bottom: 120 }, { width: 300, height: 200 }, view), { left: 100, top: 126 });
  assert.deepEqual(placeCard({ left: 700, top: 500, bottom: 520 }, { width: 300, height: 200 }, view), { left: 492, top: 294 });
});

test("spans: invalid and same-kind overlapping spans are dropped, kinds layered, lookup by offset", () => {
  const terms = [
    { start: 0, end: 9, text: "inference", term_id: "t", glossary_id: "g", term: "inference", definition: "", url: null },
    { start: 0, end: 15, text: "inference costs", term_id: "t2", glossary_id: "g", term: "inference costs", definition: "", url: null },
    { start: 50, end: 40, text: "bad", term_id: "t3", glossary_id: "g", term: "x", definition: "", url: null },
  ];
  const entities = [{ start: 10, end: 15, text: "costs", label: "ORG", key: "costs" }];
  const spans = spansFromAnswer(terms, entities, 30);
  assert.deepEqual(spans.map((s) => s.ref), ["term:1", "entity:0"]);
  assert.deepEqual(spansAt(spans, 12).map((s) => s.kind), ["term", "entity"]);
});

test("element fallback wraps text in gloss-mark without changing the text", () => {
  const d = dom(`<p>Alpha beta gamma</p>`);
  const before = d.body.textContent;
  const ex = extractText(d.body, { isHidden: inlineHidden });
  const h = createHighlighter(d, true);
  assert.equal(h.mode, "elements");
  assert.equal(h.draw(ex, [{ kind: "term", start: 6, end: 10, ref: "term:0" }, { kind: "entity", start: 0, end: 5, ref: "entity:0" }]), 2);
  assert.equal(d.body.textContent, before);
  assert.equal(d.querySelectorAll("gloss-mark").length, 2);
  h.clear();
  assert.equal(d.querySelectorAll("gloss-mark").length, 0);
  assert.equal(d.body.textContent, before);
});

test("match patterns, forbidden pages and per-site switch", () => {
  assert.ok(matchesPattern("http://127.0.0.1/*", "http://127.0.0.1:8123/a.html"));
  assert.ok(matchesPattern("https://*.example.com/*", "https://news.example.com/x"));
  assert.ok(!matchesPattern("https://*.example.com/*", "https://example.org/x"));
  assert.ok(isForbiddenUrl("chrome://settings"));
  assert.ok(isForbiddenUrl("file:///etc/passwd"));
  assert.ok(isForbiddenUrl("chrome-extension://abc/options.html", "chrome-extension://abc/"));
  assert.ok(!isForbiddenUrl("https://example.com/"));
  assert.ok(siteEnabled("http://127.0.0.1:9/a", ["http://127.0.0.1/*"], []));
  assert.ok(!siteEnabled("http://127.0.0.1:9/a", ["http://127.0.0.1/*"], ["http://127.0.0.1/*"]));
  assert.deepEqual(splitSites("https://a.com/*\n\nnot a pattern\n# comment"), { valid: ["https://a.com/*"], invalid: ["not a pattern"] });
});

test("messages: only our typed messages pass; errors map to reader-facing kinds", () => {
  assert.ok(isMessage({ type: "content/annotate", text: "" }));
  assert.ok(!isMessage({ type: "evil" }));
  assert.ok(!isMessage("content/annotate"));
  assert.equal(errorFor(401, null).kind, "unauthorized");
  assert.equal(errorFor(413, null).kind, "too-large");
  assert.equal(errorFor(null, null).kind, "offline");
  assert.equal(errorFor(null, null, true).kind, "timeout");
  assert.equal(errorFor(500, { title: "Boom" }).message, "Server error 500: Boom");
  assert.deepEqual(parseTags("a, b,,a\nc"), ["a", "b", "c"]);
});

test("a card shows the server's Card field for field, or the annotate hit when the route fails", () => {
  const related = [{ article_id: "1", title: "T", url: "https://a", snippet: "s", score: 0.5, published_at: null }];
  const term = viewOfCard({
    kind: "term",
    title: "inference",
    label: null,
    term: { term_id: "t", glossary_id: "g", glossary_name: "AI desk", term: "inference", definition: "d", aliases: ["inferencing"], url: "https://x", tags: [], entity_label: null },
    related,
  });
  assert.deepEqual(term, { kind: "term", title: "inference", label: null, definition: "d", aliases: ["inferencing"], link: "https://x", glossary: "AI desk", knowledge: null, related });
  const knowledge = { article_count: 0, latest: [], sentence: null, appears_with: [] };
  const entity = viewOfCard({ kind: "entity", title: "DeepSeek", label: "ORG", term: null, knowledge, related: [] });
  assert.deepEqual(entity, { kind: "entity", title: "DeepSeek", label: "ORG", definition: null, aliases: [], link: null, glossary: null, knowledge, related: [] });
  const hit = viewOfTermHit({ start: 0, end: 9, text: "Inference", term_id: "t", glossary_id: "g", term: "inference", definition: "d", url: null });
  assert.equal(hit.title, "inference");
  assert.equal(hit.definition, "d");
  // The page's related articles are not about this term: a fallback card lists none.
  assert.deepEqual(hit.related, []);
  assert.equal(viewOfEntity({ start: 0, end: 8, text: "DeepSeek", label: "ORG", key: "deepseek" }).label, "ORG");
});

test("invitations: each says the team, role and inviter as text; a script's click answers nothing", () => {
  const d = dom(`<ul id="list"></ul>`);
  const list = d.getElementById("list") as HTMLElement;
  const answered: Array<[string, boolean]> = [];
  const evil = `<img src=x onerror=alert(1)>`;
  const invitation = { id: "i1", team_id: "t1", team_name: evil, user: "ann", role: "viewer" as const, invited_by: "olga", created_at: "2026-12-04T00:00:00Z" };
  renderInvitations(d, list, [invitation], (i, accept) => answered.push([i.id, accept]));
  assert.equal(list.querySelectorAll("img").length, 0);
  assert.equal(list.querySelector("li span")!.textContent, `${evil} (as viewer, invited by olga)`);
  assert.deepEqual([...list.querySelectorAll("button")].map((b) => b.textContent), ["Join", "Decline"]);
  // A page or script dispatching a click (isTrusted false) joins no team.
  (list.querySelector("button") as HTMLButtonElement).click();
  assert.deepEqual(answered, []);
  renderInvitations(d, list, [], () => undefined);
  assert.equal(list.children.length, 0);
});

test("the save button goes in the margin beside the selection, never over the text", () => {
  const view = { width: 1200, height: 800 };
  const line = { left: 300, top: 200, right: 500, bottom: 220 };
  const column = { left: 250, top: 100, right: 850, bottom: 700 };
  // Room on the right of the column: there, level with the selection's last line.
  assert.deepEqual(placeBeside([line], column, { width: 110, height: 26 }, view, false), { left: 858, top: 197 });
  // No room on the right, room on the left.
  const wide = { left: 250, top: 100, right: 1150, bottom: 700 };
  assert.deepEqual(placeBeside([line], wide, { width: 110, height: 26 }, view, false), { left: 132, top: 197 });
  // The text fills the width: the button goes above the first line, clear of the selection.
  const full = { left: 0, top: 100, right: 1200, bottom: 700 };
  const above = placeBeside([line], full, { width: 110, height: 26 }, view, false);
  assert.ok(above.top + 26 <= line.top, JSON.stringify(above));
  // A form asked for on a full-width page goes below the selection, inside the viewport.
  const form = placeBeside([line], full, { width: 280, height: 300 }, view, true);
  assert.ok(form.top >= line.bottom && form.top + 300 <= view.height, JSON.stringify(form));
});

test("the save form offers the remembered collection, its team, and a new one", () => {
  const d = dom("");
  const choices = {
    collections: [
      { id: "a", name: "Alpha", team: "Default", private: false },
      { id: "b", name: "Mine", team: null, private: true },
    ],
    teams: [{ id: "t1", name: "Default" }],
    lastUsed: null,
  };
  let submitted = 0;
  const form = renderSaveForm(d, choices, { onSubmit: () => submitted++, onCancel: () => undefined });
  const select = form.form.querySelector("select[name=collection]") as HTMLSelectElement;
  // Nothing remembered: no collection is chosen for the reader.
  assert.equal(select.value, "");
  assert.deepEqual(
    Array.from(select.options).map((o) => o.textContent),
    ["Choose a collection…", "Alpha · Default", "Mine (private)", "New collection…"],
  );
  assert.equal((form.form.querySelector(".new-collection") as HTMLElement).hidden, true);
  // A script's submit (not the reader's) is ignored.
  form.form.dispatchEvent(new d.defaultView!.Event("submit", { cancelable: true }));
  assert.equal(submitted, 0);
  // With no collection at all, the form starts on "New collection…" with the team to share it with.
  const empty = renderSaveForm(d, { collections: [], teams: [{ id: "t1", name: "Default" }], lastUsed: null }, { onSubmit: () => undefined, onCancel: () => undefined });
  assert.equal((empty.form.querySelector("select[name=collection]") as HTMLSelectElement).value, "__new__");
  assert.equal((empty.form.querySelector(".new-collection") as HTMLElement).hidden, false);
  assert.deepEqual(Array.from((empty.form.querySelector("select[name=team]") as HTMLSelectElement).options).map((o) => o.textContent), ["Shared with Default", "Private (only me)"]);
  // Remembered: preselected.
  const remembered = renderSaveForm(d, { ...choices, lastUsed: "b" }, { onSubmit: () => undefined, onCancel: () => undefined });
  assert.equal((remembered.form.querySelector("select[name=collection]") as HTMLSelectElement).value, "b");
  assert.equal(collectionLabel({ id: "x", name: "N", team: "T", private: false }), "N · T");
});

test("a saved highlight's card shows its note and tags as text, with edit and delete", () => {
  const d = dom("");
  const evil = "<img src=x onerror=alert(1)>";
  let deleted = 0;
  const card = renderSavedCard(d, { exact: evil, note: evil, tags: ["cost", evil], creator: "ada", collection: null }, { onEdit: () => undefined, onDelete: () => deleted++, onClose: () => undefined });
  assert.equal(card.querySelectorAll("img").length, 0);
  assert.ok(card.textContent!.includes(evil));
  assert.deepEqual(Array.from(card.querySelectorAll(".tags li")).map((li) => li.textContent), ["cost", evil]);
  assert.equal(card.getAttribute("role"), "dialog");
  assert.ok(card.querySelector("button.edit") && card.querySelector("button.delete"));
  // Untrusted clicks (a script's) do nothing.
  (card.querySelector("button.delete") as HTMLButtonElement).click();
  (card.querySelector("button.delete") as HTMLButtonElement).click();
  assert.equal(deleted, 0);
});
