// The page's lifecycle: extract its text, annotate it, anchor saved highlights, draw, observe, report.
import type { AnnotateResponse } from "../shared/api.gen";
import { DEFAULT_DISPLAY, type Display } from "../shared/display";
import type { GlossState, Orphan, PageStatus } from "../shared/types";
import { anchor, selectorsOf } from "./anchoring/anchor";
import { readAnnotation, type SavedHighlight } from "../shared/annotation";
import { type ArticleScope, extractScope, findArticle } from "./extract/article";
import { type Extraction, extractText } from "./extract/extract";
import { nodeIndex, withinOneBlock } from "./extract/offsets";
import { extensionAlive, send } from "./messaging";
import { SharedObserver } from "./observe";
import { nearAndRest, type Piece, PIECE_CHARS, pieceBox, type SendPlan, sendPlan, splitIntoPieces } from "./pieces";
import { type PageNames, pageNames, visibleSpans } from "./render/calm";
import { createHighlighter, type Highlighter } from "./render/highlighter";
import { type DrawSpan, spansFromAnswer } from "./render/spans";

/** One annotated piece of the page: a piece of the article, or late content sent on its own. */
export interface Chunk {
  id: number;
  ex: Extraction;
  /** Where the answer's offsets start in `ex.text` (a piece of the article starts at its block). */
  base: number;
  index: Map<Text, number>;
  /** Every entity and term span of the answer that can be drawn here. */
  all: DrawSpan[];
  /** The ones drawn, as the reader's display asks (cards and the keyboard follow these). */
  spans: DrawSpan[];
  answer: AnnotateResponse;
}

/** One drawn entity, term or saved highlight, in the text it was drawn against. */
export interface SpanRef {
  /** The annotated chunk it came from; null for a saved highlight. */
  chunk: Chunk | null;
  ex: Extraction;
  span: DrawSpan;
}

/** Spans drawn against one extraction, with what maps page positions to it (for hit tests). */
export interface HitGroup {
  chunk: Chunk | null;
  ex: Extraction;
  index: Map<Text, number>;
  spans: DrawSpan[];
}

/** What the rest of the content script hears about: a fresh annotation, and the reader's stop. */
export interface PageHooks {
  annotated(): void;
  stopped(): void;
}

/** The team's saved highlights on this page, and where they were placed. */
interface Saved {
  highlights: SavedHighlight[];
  /** The extraction they were anchored against. */
  ex: Extraction | null;
  spans: DrawSpan[];
  orphans: Orphan[];
  /** How many were placed by each method (position, quote, fuzzy). */
  methods: Record<string, number>;
}

export class PageSession {
  readonly highlighter: Highlighter;
  private readonly observer: SharedObserver;
  private readonly html: HTMLElement;
  private state: GlossState = "idle";
  /** Whether the reader asked for this page (start) and has not stopped it. */
  private active = false;
  /** The URL last annotated: another one means a single-page-app navigation. */
  private url: string;
  private chunks: Chunk[] = [];
  private nextChunkId = 1;
  private drawn = 0;
  private drawMs = 0;
  private lastError: PageStatus["error"];
  private saved: Saved = { highlights: [], ex: null, spans: [], orphans: [], methods: {} };
  private running: Promise<void> | null = null;
  private rerun = false;
  /** Text nodes already judged (sent, or left out of the article), so late content is sent on its own. */
  private readonly seen = new WeakSet<Text>();
  private unsubscribe: (() => void) | null = null;
  private scrollWatch: (() => void) | null = null;
  /** The article found at the last full annotation (late content inside it joins it). */
  private scope: ArticleScope | null = null;
  private display: Display = DEFAULT_DISPLAY;
  /** The article's extraction that pieces are cut from (chunks of it sort by their place in it). */
  private articleEx: Extraction | null = null;
  /** Which full annotation the answers in flight belong to (a newer one makes them moot). */
  private generation = 0;
  /** Pieces of the article not sent yet, in the order they will be sent (the screen moves it). */
  private queue: Piece[] = [];
  private pieces = { total: 0, answered: 0 };
  /** One key and one label per name across the pieces (see render/calm.ts pageNames). */
  private names: PageNames = { keys: new Map(), labels: new Map() };

  constructor(
    private readonly doc: Document,
    private readonly hooks: PageHooks,
  ) {
    this.html = doc.documentElement;
    this.url = doc.location.href;
    this.highlighter = createHighlighter(doc);
    this.observer = new SharedObserver(doc.body ?? this.html);
  }

  get annotatedChunks(): readonly Chunk[] {
    return this.chunks;
  }

  get current(): GlossState {
    return this.state;
  }

  /** The drawn entities, terms and saved highlights, in reading order (the keyboard's path). */
  orderedSpans(): SpanRef[] {
    const saved = this.saved;
    const out: SpanRef[] = [];
    let savedPlaced = saved.ex === null;
    for (const chunk of this.chunks) {
      const refs: SpanRef[] = chunk.spans.map((span) => ({ chunk, ex: chunk.ex, span }));
      if (!savedPlaced && saved.ex === chunk.ex) {
        refs.push(...saved.spans.map((span) => ({ chunk: null, ex: chunk.ex, span })));
        refs.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
        savedPlaced = true;
      }
      out.push(...refs);
    }
    if (!savedPlaced && saved.ex) out.push(...saved.spans.map((span) => ({ chunk: null, ex: saved.ex!, span })));
    return out;
  }

  /** The page's key and label for a name, whatever piece named it. */
  nameOf(key: string, label: string): { key: string; label: string } {
    const k = this.names.keys.get(key) ?? key;
    return { key: k, label: this.names.labels.get(k) ?? label };
  }

  hasHighlights(): boolean {
    return this.chunks.length > 0 || this.saved.spans.length > 0;
  }

  /** What a pointer may be over: saved highlights first (drawn on top), then each chunk's spans. */
  hitGroups(): HitGroup[] {
    const groups: HitGroup[] = [];
    const saved = this.saved;
    if (saved.ex && saved.spans.length) groups.push({ chunk: null, ex: saved.ex, index: this.savedIndex(saved.ex), spans: saved.spans });
    for (const c of this.chunks) groups.push({ chunk: c, ex: c.ex, index: c.index, spans: c.spans });
    return groups;
  }

  private savedIndexCache: { ex: Extraction; index: Map<Text, number> } | null = null;

  private savedIndex(ex: Extraction): Map<Text, number> {
    const chunk = this.chunks.find((c) => c.ex === ex);
    if (chunk) return chunk.index;
    if (this.savedIndexCache?.ex !== ex) this.savedIndexCache = { ex, index: nodeIndex(ex) };
    return this.savedIndexCache.index;
  }

  /** The reader changed what to highlight: re-draw from the answers held, nothing is sent. */
  setDisplay(display: Display): void {
    this.display = display;
    if (this.chunks.length === 0) return;
    this.hooks.annotated();
    this.redraw();
    this.publish();
  }

  /** An active page whose URL changed without a load (history navigation, bfcache). */
  navigatedAway(): boolean {
    return this.active && this.doc.location.href !== this.url;
  }

  start(): void {
    if (!this.unsubscribe) this.unsubscribe = this.observer.subscribe((added, changed) => void this.onPageChanged(added, changed));
    if (!this.scrollWatch) {
      // The reader scrolled to a part not annotated yet: it goes to the front of the queue.
      let pending = false;
      this.scrollWatch = () => {
        if (pending || this.queue.length < 2) return;
        pending = true;
        requestAnimationFrame(() => {
          pending = false;
          this.reprioritise();
        });
      };
      this.doc.defaultView?.addEventListener("scroll", this.scrollWatch, { passive: true });
    }
    void this.annotate();
  }

  stop(): void {
    this.active = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.hooks.stopped();
    this.highlighter.clear();
    this.chunks = [];
    this.saved.spans = [];
    this.saved.orphans = [];
    this.drawn = 0;
    this.publish("idle");
  }

  /** Annotate the whole page and re-anchor the team's highlights on it (once more if asked meanwhile). */
  annotate(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        await this.annotateOnce();
      } while (this.rerun);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * The page's text as annotated: the article found last (with the late content that joined it),
   * or a fresh search when none ran yet or it left the page.
   */
  readText(): Extraction {
    if (!this.scope || !this.scope.root.isConnected) this.scope = findArticle(this.doc);
    return extractScope(this.scope);
  }

  /** A saved highlight's colour changed (edited in its card). */
  recolourSaved(id: string, color: string): void {
    const h = this.saved.highlights.find((x) => x.id === id);
    if (!h) return;
    h.color = color;
    if (this.saved.ex) this.anchorSaved(this.saved.ex);
    this.redraw();
    this.publish();
  }

  /** A saved highlight was deleted: it leaves the page (and the popup's list of those not found). */
  removeSaved(id: string): void {
    this.saved.highlights = this.saved.highlights.filter((x) => x.id !== id);
    if (this.saved.ex) this.anchorSaved(this.saved.ex);
    this.redraw();
    this.publish();
  }

  /** A highlight the reader just saved, anchored against the text it was selected in. */
  addSaved(highlight: SavedHighlight, selectedIn: Extraction): void {
    this.saved.highlights.push(highlight);
    const ex = this.saved.ex && this.saved.ex.text === selectedIn.text ? this.saved.ex : (this.chunks[0]?.ex ?? selectedIn);
    this.anchorSaved(ex);
    this.redraw();
    this.publish();
  }

  /** Write the state on <html> for debugging and tests, and tell the worker (badge, popup). */
  publish(next: GlossState = this.state): void {
    this.state = next;
    const html = this.html;
    html.setAttribute("data-gloss-state", next);
    html.setAttribute("data-gloss-count", String(this.drawn));
    html.setAttribute("data-gloss-saved", String(this.saved.spans.length));
    html.setAttribute("data-gloss-orphans", String(this.saved.orphans.length));
    html.setAttribute("data-gloss-anchors", Object.entries(this.saved.methods).map(([k, v]) => `${k}:${v}`).join(" "));
    html.setAttribute("data-gloss-draw-ms", this.drawMs.toFixed(2));
    html.setAttribute("data-gloss-pieces", `${this.pieces.answered}/${this.pieces.total}`);
    const serverMs = this.chunks[this.chunks.length - 1]?.answer.elapsed_ms;
    if (serverMs !== undefined) html.setAttribute("data-gloss-server-ms", serverMs.toFixed(1));
    if (this.lastError && next === "error") html.setAttribute("data-gloss-error", this.lastError.kind);
    else html.removeAttribute("data-gloss-error");
    this.reportStatus();
  }

  reportStatus(): void {
    if (!extensionAlive()) return;
    const status: PageStatus = {
      state: this.state,
      count: this.drawn,
      orphans: this.saved.orphans,
      anchored: this.saved.spans.length,
      url: this.doc.location.href,
      ...(this.lastError ? { error: this.lastError } : {}),
    };
    void send({ type: "content/status", status });
  }

  private async annotateOnce(): Promise<void> {
    const doc = this.doc;
    this.active = true;
    this.url = doc.location.href;
    this.lastError = undefined;
    this.publish("annotating");
    // Readability on a clone is one synchronous pass; the content script starts at
    // DOMContentLoaded (listening since document_start, before the page's own listeners), so
    // yield once to let the page's own handlers run first, and the page be laid out.
    await nextTask();
    this.scope = findArticle(doc);
    const ex = extractScope(this.scope);
    // Everything under the article's element has been judged now, kept or left out: late content
    // is only what comes after.
    const walker = doc.createTreeWalker(this.scope.root, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) this.seen.add(t as Text);
    this.articleEx = ex;
    const gen = ++this.generation;
    this.chunks = [];
    this.highlighter.clear();
    this.drawn = 0;
    const pieces = splitIntoPieces(ex.text, PIECE_CHARS);
    const plan = this.onScreenFirst(ex, pieces);
    this.queue = plan.queue;
    this.pieces = { total: plan.queue.length, answered: 0 };
    const saved = send({ type: "content/annotations-for-url", url: doc.location.href }).then((reply) => {
      if (!this.active || this.generation !== gen) return;
      this.saved.highlights = reply.ok ? reply.value.map(readAnnotation) : [];
      this.anchorSaved(this.articleEx ?? ex);
      this.redraw();
      this.publish();
    });
    const whole = plan.queue.length <= 1;
    const workers = Array.from({ length: Math.min(plan.inFlight, this.queue.length) }, () => this.sendPieces(ex.text, gen, whole));
    const results = await Promise.all([...workers, saved]);
    if (!this.active || this.generation !== gen) return;
    // The page's related articles (and the page the server remembers for cards' "closest to
    // this page"), for the whole text once the reader has every highlight; nothing waits on it.
    if (!whole) void send({ type: "content/annotate", text: ex.text, url: doc.location.href, title: doc.title, include: ["related"], priority: "background" });
    if (results.some((ok) => ok === false)) {
      this.chunks = [];
      this.saved.spans = [];
      this.highlighter.clear();
      this.drawn = 0;
      this.publish("error");
      return;
    }
    this.hooks.annotated();
    this.publish("annotated");
  }

  /** Send pieces off the queue until it is empty; false when one fails (the page shows the error). */
  private async sendPieces(text: string, gen: number, whole: boolean): Promise<boolean> {
    const doc = this.doc;
    // A page in one piece asks for everything at once; pieces ask for names and terms only, and
    // the page's related articles are asked for once, for the whole text, at the end.
    const include = whole ? undefined : (["entities", "terms"] as const);
    for (let piece = this.queue.shift(); piece; piece = this.queue.shift()) {
      // What the reader sees goes before the tails of long pages in the server's queue.
      const priority = piece.visible === false ? "background" : "visible";
      const answer = await send({ type: "content/annotate", text: text.slice(piece.start, piece.end), url: doc.location.href, title: doc.title, priority, ...(include ? { include: [...include] } : {}) });
      const ex = this.articleEx;
      if (!this.active || this.generation !== gen || !ex) return true;
      if (!answer.ok) {
        this.lastError = { kind: answer.error.kind, message: answer.error.message };
        this.queue = [];
        return false;
      }
      this.addChunk(this.makeChunk(ex, answer.value, piece.start, piece.end - piece.start));
      this.pieces.answered++;
      this.redraw();
      this.publish();
    }
    return true;
  }

  /** How to send the article's pieces: those on screen (and one screen below) first, then in
   * reading order (see sendPlan). */
  private onScreenFirst(ex: Extraction, pieces: Piece[]): SendPlan {
    const view = this.doc.defaultView;
    let near = pieces.map((_p, i) => i);
    let rest: number[] = [];
    if (view && pieces.length >= 2) {
      const boxes = pieces.map((p) => pieceBox(ex, p));
      [near, rest] = nearAndRest(
        boxes.map((b) => b.top),
        boxes.map((b) => b.bottom),
        view.innerHeight,
      );
    }
    return sendPlan(pieces, near, rest, ex.text.length);
  }

  /** The reader scrolled: what is now on screen goes to the front of the queue. */
  reprioritise(): void {
    if (this.queue.length < 2 || !this.articleEx) return;
    this.queue = this.onScreenFirst(this.articleEx, this.queue).queue;
  }

  /** Chunks in reading order: the article's pieces by place, late content after, as it came. */
  private addChunk(chunk: Chunk): void {
    this.chunks.push(chunk);
    const rank = (c: Chunk) => (c.ex === this.articleEx ? c.base : Number.MAX_SAFE_INTEGER / 2 + c.id);
    this.chunks.sort((a, b) => rank(a) - rank(b));
  }

  /** Late content: send only the new text when nothing already sent has changed. */
  private async onPageChanged(added: Node[], textChanged: boolean): Promise<void> {
    if (!this.active) return;
    const doc = this.doc;
    if (doc.location.href !== this.url || textChanged) {
      await this.annotate();
      return;
    }
    const scope = this.scope;
    if (!scope || !scope.root.isConnected) {
      await this.annotate();
      return;
    }
    // New text inside the article's own element joins the article, minus the page's chrome.
    const root = scope.container;
    const fresh = added.filter((n) => n.isConnected && root.contains(n));
    if (fresh.length === 0 || this.running) return;
    const ex = extractText(root, { skipNodes: this.seen, skipChrome: true });
    if (!/\S/.test(ex.text)) return;
    for (const s of ex.segments) {
      this.seen.add(s.node);
      scope.nodes?.add(s.node);
    }
    this.publish("annotating");
    const answer = await send({ type: "content/annotate", text: ex.text, url: doc.location.href, title: doc.title });
    if (!this.active) return;
    if (!answer.ok) {
      this.lastError = { kind: answer.error.kind, message: answer.error.message };
      this.publish("error");
      return;
    }
    this.addChunk(this.makeChunk(ex, answer.value, 0, ex.text.length));
    if (this.saved.orphans.length > 0) this.anchorSaved(this.readText());
    this.redraw();
    this.publish("annotated");
  }

  private makeChunk(ex: Extraction, answer: AnnotateResponse, base: number, length: number): Chunk {
    // A span across a block boundary joins two paragraphs (or a caption and its credit): drop it.
    const spans = spansFromAnswer(answer.terms, answer.entities, length, base).filter((s) => withinOneBlock(ex, s.start, s.end));
    const index = this.chunks.find((c) => c.ex === ex)?.index ?? nodeIndex(ex);
    return { id: this.nextChunkId++, ex, base, index, all: spans, spans, answer };
  }

  private anchorSaved(ex: Extraction): void {
    const saved = this.saved;
    saved.ex = ex;
    saved.spans = [];
    saved.orphans = [];
    saved.methods = {};
    for (const h of saved.highlights) {
      const { quote, position } = selectorsOf(h.selectors);
      const found = anchor(ex.text, quote, position);
      if (found) {
        saved.methods[found.method] = (saved.methods[found.method] ?? 0) + 1;
        saved.spans.push({ kind: "saved", start: found.start, end: found.end, ref: `saved:${h.id}`, color: h.color });
      } else {
        saved.orphans.push({ id: h.id, exact: quote?.exact ?? "" });
      }
    }
  }

  private redraw(): void {
    const t0 = performance.now();
    const saved = this.saved;
    this.highlighter.clear();
    const pieces = this.chunks.map((c) => ({ spans: c.all, answer: c.answer }));
    this.names = pageNames(pieces);
    const shown = visibleSpans(pieces, this.display, this.names);
    this.chunks = this.chunks.map((c, i) => ({ ...c, spans: shown[i] ?? [] }));
    let n = 0;
    this.observer.pause(() => {
      for (const c of this.chunks) n += this.highlighter.draw(c.ex, c.spans);
      if (saved.ex) this.highlighter.draw(saved.ex, saved.spans);
    });
    this.drawn = n;
    if (this.highlighter.mode === "elements") {
      // Wrapping split text nodes: find the article again so its nodes are the page's now (the
      // text is the same, so every offset still holds).
      this.scope = findArticle(this.doc);
      const ex = this.readText();
      const index = nodeIndex(ex);
      this.articleEx = ex;
      this.chunks = this.chunks.map((c) => ({ ...c, ex, index }));
      if (saved.ex) saved.ex = ex;
    }
    this.drawMs = performance.now() - t0;
  }
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
