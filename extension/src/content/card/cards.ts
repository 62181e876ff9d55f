// Hover cards on the page: which highlight is under the pointer or keyboard focus, and when its card
// shows. The card itself is drawn in the extension's own frame (frame.html?role=card): this file
// sends it ids and places it, and only trusted events open it.
import { viewOfEntity, viewOfTermHit } from "../../shared/card-view";
import type { FrameEvent } from "../../shared/frame-protocol";
import { fromDomPoint, toRange } from "../extract/offsets";
import { FrameHost, type Size } from "../frame-host";
import type { PageSession, SpanRef } from "../page";
import { spansAt } from "../render/spans";
import { HoverController } from "./hover";
import { placeCard } from "./place";

function keyOf(r: SpanRef): string {
  return `${r.chunk?.id ?? "saved"}:${r.span.ref}`;
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

/** A card taller than this scrolls inside its frame. */
const CARD_MAX_HEIGHT = 420;

const KIND_NAMES: Record<string, string> = { PERSON: "person", ORG: "organisation", GPE: "place", LOC: "place", FAC: "place", NORP: "group", PRODUCT: "product", EVENT: "event", WORK_OF_ART: "work" };

export class Cards {
  private readonly frame: FrameHost;
  private readonly hover: HoverController<SpanRef>;
  /** Where the open card points; kept when its highlight no longer maps to the page. */
  private anchorRect: DOMRect | null = null;
  /** Index into the page's spans of the highlight the keyboard moved to. */
  private focusIndex = -1;
  private moveFrame = 0;
  private lastMove: MouseEvent | null = null;
  /** The keyboard opened the card: focus goes into it, and back to `returnFocus` on Escape. */
  private keyboard = false;
  private returnFocus: Element | null = null;
  private live: HTMLElement | null = null;
  /** The frame said the pointer is on the card (it may miss saying it left: the page's moves tell). */
  private pointerOnCard = false;

  constructor(
    private readonly doc: Document,
    private readonly page: PageSession,
  ) {
    this.frame = new FrameHost(doc, "card", "Gloss card", (e) => this.onFrameEvent(e));
    this.hover = new HoverController<SpanRef>(
      { set: (fn, ms) => window.setTimeout(fn, ms), clear: (id) => window.clearTimeout(id), now: () => performance.now() },
      {
        fetch: (r) => this.prepare(r),
        show: (r, size) => this.show(r, size as Size | null),
        hide: () => this.hidden(),
      },
      (a, b) => keyOf(a) === keyOf(b),
    );
  }

  get open(): boolean {
    return this.frame.open;
  }

  close(): void {
    this.hover.close();
  }

  /** The page is going away (perhaps into the back/forward cache): the frame goes with it. */
  detach(): void {
    this.hover.close();
    this.frame.remove();
  }

  /** A fresh annotation: the keyboard starts again from the first highlight. */
  resetFocus(): void {
    this.focusIndex = -1;
  }

  /** Alt+Shift+N / Alt+Shift+P: the next or previous highlight, scrolled to, its card open and focused. */
  moveFocus(delta: number): void {
    const all = this.page.orderedSpans();
    if (all.length === 0) return;
    this.focusIndex = (this.focusIndex + delta + all.length) % all.length;
    const r = all[this.focusIndex]!;
    const range = toRange(r.ex, r.span.start, r.span.end, this.doc);
    if (!range) return;
    range.startContainer.parentElement?.scrollIntoView({ block: "nearest", inline: "nearest" });
    const active = this.doc.activeElement;
    if (active !== this.frame.frame) this.returnFocus = active;
    this.hover.close();
    this.page.highlighter.focus(range);
    this.announce(r, this.focusIndex, all.length);
    this.keyboard = true;
    this.hover.enter(r, true);
  }

  install(): void {
    const doc = this.doc;
    // Only the reader's own events count: a page script's synthetic events are not trusted.
    doc.addEventListener("mousemove", (e) => e.isTrusted && this.onMouseMove(e), { passive: true });
    // Keyboard focus on page content that holds a highlight (a link, say) opens its card too.
    doc.addEventListener("focusin", (e) => e.isTrusted && this.onFocusIn(e));
    doc.addEventListener("focusout", (e) => {
      if (e.isTrusted && this.frame.open && !this.keyboard) this.hover.leave();
    });
  }

  /** Say which highlight the keyboard reached (screen readers cannot see CSS highlights). */
  private announce(r: SpanRef, index: number, total: number): void {
    if (!this.live || !this.live.isConnected) {
      const live = this.doc.createElement("gloss-live");
      live.setAttribute("data-gloss-ui", "");
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      live.setAttribute("style", "all: initial !important; position: fixed !important; width: 1px !important; height: 1px !important; overflow: hidden !important; clip-path: inset(50%) !important; white-space: nowrap !important;");
      this.doc.documentElement.appendChild(live);
      this.live = live;
    }
    const text = r.ex.text.slice(r.span.start, r.span.end);
    const kind = r.span.kind === "saved" ? "saved highlight" : r.span.kind === "term" ? "glossary term" : (KIND_NAMES[this.entityLabel(r)] ?? "name");
    this.live.textContent = `Gloss: ${text}, ${kind}, ${index + 1} of ${total}. Escape closes its card.`;
  }

  private entityLabel(r: SpanRef): string {
    if (!r.chunk || r.span.kind !== "entity") return "";
    const e = r.chunk.answer.entities[Number(r.span.ref.split(":")[1])];
    return e ? this.page.nameOf(e.key, e.label).label : "";
  }

  private onFrameEvent(e: FrameEvent): void {
    switch (e.type) {
      case "close":
        this.hover.close();
        return;
      case "move":
        this.moveFocus(e.delta);
        return;
      case "pointer":
        this.pointerOnCard = e.over;
        if (e.over) this.hover.enterCard();
        else this.hover.leaveCard();
        return;
      case "updated":
        this.page.recolourSaved(e.annotation.id, e.annotation.color);
        return;
      case "deleted":
        this.hover.close();
        this.page.removeSaved(e.id);
        return;
      default:
        return;
    }
  }

  private onMouseMove(e: MouseEvent): void {
    // Chromium sends a mousemove after a scroll with the pointer where it was: not a move, and
    // it must not close a card that the keyboard opened.
    if (this.lastMove && this.lastMove.clientX === e.clientX && this.lastMove.clientY === e.clientY) return;
    this.lastMove = e;
    if (this.pointerOnCard && e.target !== this.frame.frame) {
      // A move on the page: the pointer has left the card, whether or not the frame saw it go.
      this.pointerOnCard = false;
      this.hover.leaveCard();
    }
    if (this.moveFrame || !this.page.hasHighlights()) return;
    this.moveFrame = requestAnimationFrame(() => {
      this.moveFrame = 0;
      const ev = this.lastMove;
      if (!ev || ev.target === this.frame.frame) return;
      const hit = this.hitTest(ev.clientX, ev.clientY);
      if (hit) {
        this.keyboard = false;
        this.hover.enter(hit);
      } else this.hover.leave();
    });
  }

  private onFocusIn(e: FocusEvent): void {
    const target = e.target as Element | null;
    if (!target || target === this.frame.frame || target.closest?.("[data-gloss-ui]")) return;
    for (const r of this.page.orderedSpans()) {
      const seg = r.ex.segments.find((s) => s.start <= r.span.start && r.span.start < s.end);
      if (seg && target.contains(seg.node)) {
        this.hover.close();
        // The reader is tabbing through the page's links: show the card, keep the focus where it is.
        this.keyboard = false;
        this.hover.enter(r, true);
        return;
      }
    }
  }

  /** The highlight under the pointer, if any (the Highlight API has no events of its own). */
  private hitTest(x: number, y: number): SpanRef | null {
    const caret = caretAt(this.doc, x, y);
    if (!caret) return null;
    for (const group of this.page.hitGroups()) {
      const off = fromDomPoint(group.index, group.ex, caret.node, caret.offset);
      if (off === null) continue;
      for (const o of [off, off - 1]) {
        for (const span of spansAt(group.spans, o)) {
          const range = toRange(group.ex, span.start, span.end, this.doc);
          if (range && inRects(range, x, y)) return { chunk: group.chunk, ex: group.ex, span };
        }
      }
    }
    return null;
  }

  /** Ask the frame to draw the card (it fetches what the team knows); its size when drawn. */
  private prepare(r: SpanRef): Promise<Size | null> {
    const focus = this.keyboard;
    if (r.span.kind === "saved") {
      const id = r.span.ref.slice("saved:".length);
      return this.frame.ask({ type: "saved-card", annotationId: id, exact: r.ex.text.slice(r.span.start, r.span.end), focus });
    }
    const [kind, i] = r.span.ref.split(":") as ["term" | "entity", string];
    const answer = r.chunk!.answer;
    const url = this.doc.URL;
    if (kind === "term") {
      const t = answer.terms[Number(i)]!;
      return this.frame.ask({ type: "card", query: { kind, term_id: t.term_id, url }, fallback: viewOfTermHit(t), focus });
    }
    const e = answer.entities[Number(i)]!;
    // The page's one key and label for the name (a surname alone is its person's card).
    const name = this.page.nameOf(e.key, e.label);
    return this.frame.ask({ type: "card", query: { kind, key: name.key, label: name.label, text: e.text, url }, fallback: viewOfEntity({ ...e, ...name }), focus });
  }

  private show(r: SpanRef, size: Size | null): void {
    if (!size) return;
    const range = toRange(r.ex, r.span.start, r.span.end, this.doc);
    this.anchorRect = range?.getClientRects()[0] ?? range?.getBoundingClientRect() ?? this.anchorRect;
    if (!this.anchorRect) return;
    const view = this.doc.defaultView!;
    const fitted = this.frame.fit(size, CARD_MAX_HEIGHT);
    this.frame.place(placeCard(this.anchorRect, fitted, { width: view.innerWidth, height: view.innerHeight }), fitted);
    if (this.keyboard) this.frame.focus();
  }

  private hidden(): void {
    const hadFocus = this.doc.activeElement === this.frame.frame;
    this.frame.hide();
    if (this.keyboard && hadFocus) {
      // Back where the reader was; the highlight keeps its focus mark, so Alt+Shift+N goes on from it.
      const back = this.returnFocus as HTMLElement | null;
      if (back && back.isConnected && typeof back.focus === "function" && back !== this.doc.body) back.focus({ preventScroll: true });
    } else this.page.highlighter.focus(null);
    this.keyboard = false;
  }
}
