// Hover cards on the page: the highlight under the pointer or keyboard focus, its card's data and timing.
import { fromDomPoint, toRange } from "../extract/offsets";
import { send } from "../messaging";
import type { PageSession, SpanRef } from "../page";
import { spansAt } from "../render/spans";
import { type CardHandle, createCard } from "./card";
import { HoverController } from "./hover";
import { type CardView, viewOfCard, viewOfEntity, viewOfTermHit } from "./view";

function keyOf(r: SpanRef): string {
  return `${r.chunk.id}:${r.span.ref}`;
}

function caretAt(doc: Document, x: number, y: number): { node: Node; offset: number } | null {
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

export class Cards {
  private readonly card: CardHandle;
  private readonly hover: HoverController<SpanRef>;
  /** One request per highlight and page annotation, shared by every hover of it. */
  private readonly cache = new Map<string, Promise<CardView>>();
  /** Where the open card points; kept when its highlight no longer maps to the page. */
  private anchorRect: DOMRect | null = null;
  /** Index into the page's spans of the highlight the keyboard moved to. */
  private focusIndex = -1;
  private moveFrame = 0;
  private lastMove: MouseEvent | null = null;

  constructor(
    private readonly doc: Document,
    private readonly page: PageSession,
  ) {
    this.card = createCard(doc, {
      onEnter: () => this.hover.enterCard(),
      onLeave: () => this.hover.leaveCard(),
      onClose: () => this.hover.close(),
    });
    this.hover = new HoverController<SpanRef>(
      { set: (fn, ms) => window.setTimeout(fn, ms), clear: (id) => window.clearTimeout(id), now: () => performance.now() },
      {
        fetch: (r) => this.view(r),
        show: (r, data) => this.show(r, data as CardView),
        hide: () => {
          this.card.hide();
          page.highlighter.focus(null);
        },
      },
      (a, b) => keyOf(a) === keyOf(b),
    );
  }

  get open(): boolean {
    return this.card.open;
  }

  close(): void {
    this.hover.close();
  }

  /** A fresh annotation: the keyboard starts again from the first highlight. */
  resetFocus(): void {
    this.focusIndex = -1;
  }

  /** Alt+Shift+N / Alt+Shift+P: the next or previous highlight, scrolled to, its card open. */
  moveFocus(delta: number): void {
    const all = this.page.orderedSpans();
    if (all.length === 0) return;
    this.focusIndex = (this.focusIndex + delta + all.length) % all.length;
    const r = all[this.focusIndex]!;
    const range = toRange(r.chunk.ex, r.span.start, r.span.end, this.doc);
    if (!range) return;
    range.startContainer.parentElement?.scrollIntoView({ block: "nearest", inline: "nearest" });
    this.page.highlighter.focus(range);
    this.hover.close();
    this.hover.enter(r, true);
  }

  install(): void {
    const doc = this.doc;
    doc.addEventListener("mousemove", (e) => this.onMouseMove(e), { passive: true });
    // Keyboard focus on page content that holds a highlight (a link, say) opens its card too.
    doc.addEventListener("focusin", (e) => this.onFocusIn(e));
    doc.addEventListener("focusout", () => {
      if (this.card.open) this.hover.leave();
    });
  }

  private onMouseMove(e: MouseEvent): void {
    // Chromium sends a mousemove after a scroll with the pointer where it was: not a move, and
    // it must not close a card that the keyboard opened.
    if (this.lastMove && this.lastMove.clientX === e.clientX && this.lastMove.clientY === e.clientY) return;
    this.lastMove = e;
    if (this.moveFrame || this.page.annotatedChunks.length === 0) return;
    this.moveFrame = requestAnimationFrame(() => {
      this.moveFrame = 0;
      const ev = this.lastMove;
      if (!ev) return;
      if (this.card.element.contains(ev.target as Node) || ev.target === this.card.element) return;
      const hit = this.hitTest(ev.clientX, ev.clientY);
      if (hit) this.hover.enter(hit);
      else this.hover.leave();
    });
  }

  private onFocusIn(e: FocusEvent): void {
    const target = e.target as Element | null;
    if (!target || target === this.card.element || target.closest?.("gloss-card, gloss-save")) return;
    for (const r of this.page.orderedSpans()) {
      const seg = r.chunk.ex.segments.find((s) => s.start <= r.span.start && r.span.start < s.end);
      if (seg && target.contains(seg.node)) {
        this.hover.close();
        this.hover.enter(r, true);
        return;
      }
    }
  }

  /** The highlight under the pointer, if any (the Highlight API has no events of its own). */
  private hitTest(x: number, y: number): SpanRef | null {
    const caret = caretAt(this.doc, x, y);
    if (!caret) return null;
    for (const chunk of this.page.annotatedChunks) {
      const off = fromDomPoint(chunk.index, chunk.ex, caret.node, caret.offset);
      if (off === null) continue;
      for (const o of [off, off - 1]) {
        for (const span of spansAt(chunk.spans, o)) {
          const range = toRange(chunk.ex, span.start, span.end, this.doc);
          if (range && inRects(range, x, y)) return { chunk, span };
        }
      }
    }
    return null;
  }

  private show(r: SpanRef, data: CardView | null): void {
    const range = toRange(r.chunk.ex, r.span.start, r.span.end, this.doc);
    this.anchorRect = range?.getClientRects()[0] ?? range?.getBoundingClientRect() ?? this.anchorRect;
    if (!this.anchorRect) return;
    if (data) this.card.show(data, this.anchorRect);
    else this.card.showMessage("Gloss could not load this card.", this.anchorRect);
  }

  /** The card of a highlight: the server's, or what the annotate answer said when it cannot answer. */
  private view(r: SpanRef): Promise<CardView> {
    const key = keyOf(r);
    let p = this.cache.get(key);
    if (!p) {
      const [kind, i] = r.span.ref.split(":") as ["term" | "entity", string];
      const answer = r.chunk.answer;
      if (kind === "term") {
        const t = answer.terms[Number(i)]!;
        const fallback = viewOfTermHit(t);
        p = send({ type: "content/card", query: { kind, term_id: t.term_id, url: this.doc.URL } }).then((reply) => (reply.ok ? viewOfCard(reply.value) : fallback));
      } else {
        const e = answer.entities[Number(i)]!;
        const fallback = viewOfEntity(e);
        p = send({ type: "content/card", query: { kind, key: e.key, label: e.label, text: e.text, url: this.doc.URL } }).then((reply) => (reply.ok ? viewOfCard(reply.value) : fallback));
      }
      this.cache.set(key, p);
    }
    return p;
  }
}
