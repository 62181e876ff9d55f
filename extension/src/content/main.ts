// The content script: extract, ask for annotations, draw, hover cards, save and re-anchor highlights.
import type { BackgroundToContent } from "../shared/messages";
import { isMessage } from "../shared/messages";
import type { AnnotateResponse, CardData, GlossState, Orphan, PageStatus } from "../shared/types";
import { anchor, describe, selectorsOf } from "./anchoring/anchor";
import { buildAnnotation, readAnnotation } from "./anchoring/annotation";
import { createCard } from "./card/card";
import { HoverController } from "./card/hover";
import { type Extraction, extractText, mainRoot } from "./extract/extract";
import { fromDomPoint, nodeIndex, toRange } from "./extract/offsets";
import { extensionAlive, send } from "./messaging";
import { SharedObserver } from "./observe";
import { createHighlighter } from "./render/highlighter";
import { type DrawSpan, spansAt, spansFromAnswer } from "./render/spans";
import { createSaveUi } from "./save/save-form";

declare global {
  interface Window {
    __glossContent?: boolean;
  }
}

/** One annotated piece of the page: the whole page, or late content sent on its own. */
interface Chunk {
  id: number;
  ex: Extraction;
  index: Map<Text, number>;
  spans: DrawSpan[];
  answer: AnnotateResponse;
}

interface SpanRef {
  chunk: Chunk;
  span: DrawSpan;
}

const doc = document;
const html = doc.documentElement;

let state: GlossState = "idle";
let chunks: Chunk[] = [];
let nextChunkId = 1;
let drawn = 0;
let orphans: Orphan[] = [];
let anchored = 0;
let anchorMethods: Record<string, number> = {};
let drawMs = 0;
let savedSpans: DrawSpan[] = [];
let savedEx: Extraction | null = null;
let pendingSaved: Array<ReturnType<typeof readAnnotation>> = [];
let lastError: PageStatus["error"];
let active = false;
let running: Promise<void> | null = null;
let rerun = false;
let lastUrl = location.href;
let focusIndex = -1;
const seenNodes = new WeakSet<Text>();
/** Listeners, added once by boot() (the script may be injected twice into one page). */
const installers: Array<() => void> = [];
const cardCache = new Map<string, Promise<CardData | null>>();

const highlighter = createHighlighter(doc);
const observer = new SharedObserver(doc.body ?? html);
let unsubscribe: (() => void) | null = null;

function setState(next: GlossState): void {
  state = next;
  html.setAttribute("data-gloss-state", next);
  html.setAttribute("data-gloss-count", String(drawn));
  html.setAttribute("data-gloss-saved", String(anchored));
  html.setAttribute("data-gloss-orphans", String(orphans.length));
  html.setAttribute("data-gloss-anchors", Object.entries(anchorMethods).map(([k, v]) => `${k}:${v}`).join(" "));
  html.setAttribute("data-gloss-draw-ms", drawMs.toFixed(2));
  const serverMs = chunks[chunks.length - 1]?.answer.elapsed_ms;
  if (serverMs !== undefined) html.setAttribute("data-gloss-server-ms", serverMs.toFixed(1));
  if (lastError && next === "error") html.setAttribute("data-gloss-error", lastError.kind);
  else html.removeAttribute("data-gloss-error");
  reportStatus();
}

function reportStatus(): void {
  if (!extensionAlive()) return;
  const status: PageStatus = { state, count: drawn, orphans, anchored, url: location.href, ...(lastError ? { error: lastError } : {}) };
  void send({ type: "content/status", status });
}

function redraw(): void {
  const t0 = performance.now();
  highlighter.clear();
  let n = 0;
  observer.pause(() => {
    for (const c of chunks) n += highlighter.draw(c.ex, c.spans);
    if (savedEx) highlighter.draw(savedEx, savedSpans);
  });
  drawn = n;
  if (highlighter.mode === "elements") {
    // Wrapping split text nodes: extract again so offsets map to the nodes now in the page.
    chunks = chunks.map((c) => ({ ...c, ex: extractText(mainRoot(doc)), index: new Map() }));
    for (const c of chunks) c.index = nodeIndex(c.ex);
    if (savedEx) savedEx = chunks[0]?.ex ?? savedEx;
  }
  drawMs = performance.now() - t0;
}

function makeChunk(ex: Extraction, answer: AnnotateResponse, base = 0): Chunk {
  return { id: nextChunkId++, ex, index: nodeIndex(ex), spans: spansFromAnswer(answer.terms ?? [], answer.entities ?? [], ex.text.length - base, base), answer };
}

/** Annotate the whole page and re-anchor the team's highlights on it. */
async function annotatePage(): Promise<void> {
  if (running) {
    rerun = true;
    return running;
  }
  running = (async () => {
    do {
      rerun = false;
      await annotateOnce();
    } while (rerun);
  })().finally(() => {
    running = null;
  });
  return running;
}

async function annotateOnce(): Promise<void> {
  active = true;
  lastUrl = location.href;
  lastError = undefined;
  setState("annotating");
  const ex = extractText(mainRoot(doc));
  for (const s of ex.segments) seenNodes.add(s.node);
  const [answer, saved] = await Promise.all([
    send({ type: "content/annotate", text: ex.text, url: location.href, title: doc.title }),
    send({ type: "content/annotations-for-url", url: location.href }),
  ]);
  if (!active) return;
  if (!answer.ok) {
    lastError = { kind: answer.error.kind, message: answer.error.message };
    chunks = [];
    savedSpans = [];
    highlighter.clear();
    drawn = 0;
    setState("error");
    return;
  }
  chunks = [makeChunk(ex, answer.value)];
  pendingSaved = saved.ok ? saved.value.map(readAnnotation) : [];
  anchorSaved(ex);
  redraw();
  focusIndex = -1;
  setState("annotated");
}

function anchorSaved(ex: Extraction): void {
  savedEx = ex;
  savedSpans = [];
  orphans = [];
  anchorMethods = {};
  for (const a of pendingSaved) {
    const { quote, position } = selectorsOf(a.selectors);
    const found = anchor(ex.text, quote, position);
    if (found) anchorMethods[found.method] = (anchorMethods[found.method] ?? 0) + 1;
    if (found) savedSpans.push({ kind: "saved", start: found.start, end: found.end, ref: `saved:${a.id}`, colour: a.colour });
    else orphans.push({ id: a.id, exact: quote?.exact ?? "" });
  }
  anchored = savedSpans.length;
}

/** Late content: send only the new text when nothing already sent has changed. */
async function onPageChanged(added: Node[], textChanged: boolean): Promise<void> {
  if (!active) return;
  if (location.href !== lastUrl || textChanged) {
    await annotatePage();
    return;
  }
  const root = mainRoot(doc);
  const fresh = added.filter((n) => n.isConnected && root.contains(n));
  if (fresh.length === 0 || running) return;
  const ex = extractText(root, { skipNodes: seenNodes });
  if (!/\S/.test(ex.text)) return;
  for (const s of ex.segments) seenNodes.add(s.node);
  setState("annotating");
  const answer = await send({ type: "content/annotate", text: ex.text, url: location.href, title: doc.title });
  if (!active) return;
  if (!answer.ok) {
    lastError = { kind: answer.error.kind, message: answer.error.message };
    setState("error");
    return;
  }
  chunks.push(makeChunk(ex, answer.value));
  if (orphans.length > 0) anchorSaved(extractText(root));
  redraw();
  setState("annotated");
}

function stop(): void {
  active = false;
  unsubscribe?.();
  unsubscribe = null;
  hover.close();
  highlighter.clear();
  chunks = [];
  savedSpans = [];
  drawn = 0;
  orphans = [];
  anchored = 0;
  setState("idle");
}

function start(): void {
  if (!unsubscribe) unsubscribe = observer.subscribe((added, changed) => void onPageChanged(added, changed));
  void annotatePage();
}

// ---- Hover cards -------------------------------------------------------------------------------

function keyOf(r: SpanRef): string {
  return `${r.chunk.id}:${r.span.ref}`;
}

const card = createCard(doc, {
  onEnter: () => hover.enterCard(),
  onLeave: () => hover.leaveCard(),
  onClose: () => hover.close(),
});
let cardAnchor: DOMRect | null = null;

const hover = new HoverController<SpanRef>(
  { set: (fn, ms) => window.setTimeout(fn, ms), clear: (id) => window.clearTimeout(id), now: () => performance.now() },
  {
    fetch: (r) => cardData(r),
    show: (r, data) => {
      const range = toRange(r.chunk.ex, r.span.start, r.span.end, doc);
      cardAnchor = range?.getClientRects()[0] ?? range?.getBoundingClientRect() ?? cardAnchor;
      if (!cardAnchor) return;
      if (data) card.show(data as CardData, cardAnchor);
      else card.showMessage("Gloss could not load this card.", cardAnchor);
    },
    hide: () => {
      card.hide();
      highlighter.focus(null);
    },
  },
  (a, b) => keyOf(a) === keyOf(b),
);

function cardData(r: SpanRef): Promise<CardData | null> {
  const key = keyOf(r);
  let p = cardCache.get(key);
  if (!p) {
    const [kind, i] = r.span.ref.split(":") as ["term" | "entity", string];
    const idx = Number(i);
    const answer = r.chunk.answer;
    const params: Record<string, string> = { url: location.href };
    let fallback: CardData;
    if (kind === "term") {
      const t = answer.terms[idx]!;
      Object.assign(params, { term_id: t.term_id, glossary_id: t.glossary_id, text: t.text });
      fallback = { kind, title: t.term || t.text, subtitle: null, definition: t.definition, aliases: [], link: t.url, glossary: null, knowledge: [], related: answer.related ?? [] };
    } else {
      const e = answer.entities[idx]!;
      Object.assign(params, { text: e.text, label: e.label, ...(e.key ? { key: e.key } : {}) });
      fallback = { kind, title: e.text, subtitle: e.label, definition: null, aliases: [], link: null, glossary: null, knowledge: [], related: answer.related ?? [] };
    }
    p = send({ type: "content/card", kind, params }).then((reply) => (reply.ok ? mergeCard(reply.value, fallback) : fallback));
    cardCache.set(key, p);
  }
  return p;
}

function mergeCard(fromServer: CardData, fallback: CardData): CardData {
  return {
    ...fallback,
    ...Object.fromEntries(Object.entries(fromServer).filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && v.length === 0))),
  } as CardData;
}

function caretAt(x: number, y: number): { node: Node; offset: number } | null {
  const d = doc as Document & { caretPositionFromPoint?: (x: number, y: number) => { offsetNode: Node; offset: number } | null };
  if (d.caretPositionFromPoint) {
    const p = d.caretPositionFromPoint(x, y);
    return p ? { node: p.offsetNode, offset: p.offset } : null;
  }
  const r = doc.caretRangeFromPoint?.(x, y);
  return r ? { node: r.startContainer, offset: r.startOffset } : null;
}

function inRects(range: Range, x: number, y: number): boolean {
  for (const rect of Array.from(range.getClientRects())) {
    if (x >= rect.left - 1 && x <= rect.right + 1 && y >= rect.top - 1 && y <= rect.bottom + 1) return true;
  }
  return false;
}

/** The highlight under the pointer, if any (the Highlight API has no events of its own). */
function hitTest(x: number, y: number): SpanRef | null {
  const caret = caretAt(x, y);
  if (!caret) return null;
  for (const chunk of chunks) {
    const off = fromDomPoint(chunk.index, chunk.ex, caret.node, caret.offset);
    if (off === null) continue;
    for (const o of [off, off - 1]) {
      for (const span of spansAt(chunk.spans, o)) {
        const range = toRange(chunk.ex, span.start, span.end, doc);
        if (range && inRects(range, x, y)) return { chunk, span };
      }
    }
  }
  return null;
}

let moveFrame = 0;
let lastMove: MouseEvent | null = null;
installers.push(() => doc.addEventListener(
  "mousemove",
  (e) => {
    // Chromium sends a mousemove after a scroll with the pointer where it was: not a move, and
    // it must not close a card that the keyboard opened.
    if (lastMove && lastMove.clientX === e.clientX && lastMove.clientY === e.clientY) return;
    lastMove = e;
    if (moveFrame || chunks.length === 0) return;
    moveFrame = requestAnimationFrame(() => {
      moveFrame = 0;
      const ev = lastMove;
      if (!ev) return;
      if (card.element.contains(ev.target as Node) || ev.target === card.element) return;
      const hit = hitTest(ev.clientX, ev.clientY);
      if (hit) hover.enter(hit);
      else hover.leave();
    });
  },
  { passive: true },
));

function orderedSpans(): SpanRef[] {
  return chunks.flatMap((chunk) => chunk.spans.filter((s) => s.kind !== "saved").map((span) => ({ chunk, span })));
}

function focusSpan(delta: number): void {
  const all = orderedSpans();
  if (all.length === 0) return;
  focusIndex = (focusIndex + delta + all.length) % all.length;
  const r = all[focusIndex]!;
  const range = toRange(r.chunk.ex, r.span.start, r.span.end, doc);
  if (!range) return;
  const parent = range.startContainer.parentElement;
  parent?.scrollIntoView({ block: "nearest", inline: "nearest" });
  highlighter.focus(range);
  hover.close();
  hover.enter(r, true);
}

installers.push(() => window.addEventListener(
  "keydown",
  (e) => {
    if (e.key === "Escape" && (card.open || saveOpen)) {
      hover.close();
      closeSave();
      e.stopPropagation();
      return;
    }
    if (e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && (e.code === "KeyN" || e.code === "KeyP") && chunks.length > 0) {
      e.preventDefault();
      e.stopPropagation();
      focusSpan(e.code === "KeyN" ? 1 : -1);
    }
  },
  true,
));

// Keyboard focus on page content that holds a highlight (a link, say) opens its card too.
installers.push(() => doc.addEventListener("focusin", (e) => {
  const target = e.target as Element | null;
  if (!target || target === card.element || target.closest?.("gloss-card, gloss-save")) return;
  for (const r of orderedSpans()) {
    const seg = r.chunk.ex.segments.find((s) => s.start <= r.span.start && r.span.start < s.end);
    if (seg && target.contains(seg.node)) {
      hover.close();
      hover.enter(r, true);
      return;
    }
  }
}));
installers.push(() => doc.addEventListener("focusout", () => {
  if (card.open) hover.leave();
}));

// ---- Saving highlights -------------------------------------------------------------------------

let saveOpen = false;
let pendingSelection: { start: number; end: number; ex: Extraction; rect: DOMRect } | null = null;

const saveUi = createSaveUi(doc, {
  onOpen: () => void openSaveForm(),
  onCancel: () => closeSave(),
  onSubmit: (req) => void submitSave(req),
});

function closeSave(): void {
  saveOpen = false;
  pendingSelection = null;
  saveUi.hide();
}

function boundaryOffset(index: Map<Text, number>, ex: Extraction, node: Node, offset: number, isEnd: boolean): number | null {
  const direct = fromDomPoint(index, ex, node, offset);
  if (direct !== null) return direct;
  // An element boundary: the nearest extracted text node after (start) or before (end) it.
  const walker = doc.createTreeWalker(doc.body ?? html, NodeFilter.SHOW_TEXT);
  const child = node.childNodes[offset] ?? null;
  walker.currentNode = child ?? node;
  let t: Node | null = isEnd ? walker.previousNode() : child && child.nodeType === 3 ? child : walker.nextNode();
  while (t) {
    const o = fromDomPoint(index, ex, t, isEnd ? (t as Text).data.length : 0);
    if (o !== null) return o;
    t = isEnd ? walker.previousNode() : walker.nextNode();
  }
  return null;
}

/** The current selection as offsets in the page text, when it lies in text we read. */
function selectionOffsets(): typeof pendingSelection {
  const sel = doc.getSelection();
  if (!sel || sel.isCollapsed || sel.rangeCount === 0) return null;
  const range = sel.getRangeAt(0);
  const target = range.commonAncestorContainer;
  const el = target.nodeType === 1 ? (target as Element) : target.parentElement;
  if (el?.closest("input, textarea, select, [contenteditable], gloss-card, gloss-save")) return null;
  const ex = extractText(mainRoot(doc));
  const index = nodeIndex(ex);
  const start = boundaryOffset(index, ex, range.startContainer, range.startOffset, false);
  const end = boundaryOffset(index, ex, range.endContainer, range.endOffset, true);
  if (start === null || end === null || end <= start || !/\S/.test(ex.text.slice(start, end))) return null;
  return { start, end, ex, rect: range.getBoundingClientRect() };
}

function onSelectionDone(): void {
  if (saveOpen || !extensionAlive()) return;
  setTimeout(() => {
    const s = selectionOffsets();
    if (!s) {
      if (!saveOpen) saveUi.hide();
      return;
    }
    pendingSelection = s;
    saveUi.showButton(s.rect);
  }, 0);
}

installers.push(() => doc.addEventListener("mouseup", (e) => {
  if (saveUi.contains(e.target as Node)) return;
  onSelectionDone();
}));
installers.push(() => doc.addEventListener("keyup", (e) => {
  if (e.shiftKey || e.key === "Shift") onSelectionDone();
}));

async function openSaveForm(): Promise<void> {
  if (!pendingSelection) pendingSelection = selectionOffsets();
  const sel = pendingSelection;
  if (!sel) return;
  saveOpen = true;
  const reply = await send({ type: "content/collections" });
  if (!reply.ok) {
    saveUi.showForm(sel.rect, [], null);
    saveUi.showError(reply.error.message);
    return;
  }
  saveUi.showForm(sel.rect, reply.value.collections, reply.value.lastUsed);
}

async function submitSave(req: { collectionId: string; note: string; tags: string[]; colour: string }): Promise<void> {
  const sel = pendingSelection;
  if (!sel) return;
  const annotation = buildAnnotation({ url: location.href, title: doc.title, selectors: describe(sel.ex.text, sel.start, sel.end), note: req.note, tags: req.tags, colour: req.colour });
  const reply = await send({ type: "content/save-annotation", collectionId: req.collectionId, annotation });
  if (!reply.ok) {
    saveUi.showError(`Not saved: ${reply.error.message}`);
    return;
  }
  const saved = readAnnotation(reply.value);
  pendingSaved.push({ ...saved, colour: req.colour });
  closeSave();
  doc.getSelection()?.removeAllRanges();
  if (!savedEx || savedEx.text !== sel.ex.text) savedEx = chunks[0]?.ex ?? sel.ex;
  anchorSaved(savedEx);
  redraw();
  setState(state);
}

// ---- Wiring ------------------------------------------------------------------------------------

function onMessage(message: unknown, _sender: chrome.runtime.MessageSender, reply: (r: unknown) => void): boolean | undefined {
  if (!isMessage(message)) return undefined;
  const m = message as BackgroundToContent;
  switch (m.type) {
    case "background/ping":
      reply({ ok: true, value: state });
      return undefined;
    case "background/annotate-now":
      start();
      reply({ ok: true, value: null });
      return undefined;
    case "background/stop":
      stop();
      reply({ ok: true, value: null });
      return undefined;
    case "background/open-save-form":
      void openSaveForm();
      reply({ ok: true, value: null });
      return undefined;
    default:
      return undefined;
  }
}

async function boot(): Promise<void> {
  setState("idle");
  for (const install of installers) install();
  chrome.runtime.onMessage.addListener(onMessage);
  // Back/forward cache: the page comes back as it was; the badge and status must follow it.
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) {
      if (!extensionAlive()) return;
      if (active && location.href !== lastUrl) void annotatePage();
      else reportStatus();
    }
  });
  window.addEventListener("popstate", () => {
    if (active && location.href !== lastUrl) void annotatePage();
  });
  const hello = await send({ type: "content/hello", url: location.href });
  if (hello.ok && hello.value.auto) start();
}

if (!window.__glossContent) {
  window.__glossContent = true;
  void boot();
}
