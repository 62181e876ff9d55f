// Saving a highlight: the reader's selection as offsets in the page text, and the save button and
// form, drawn in the extension's own frame (frame.html?role=save). Only the reader's own (trusted)
// mouse and keyboard events show the button; the button and form live where no page script can
// press them.
import { describe } from "../anchoring/anchor";
import type { FrameEvent } from "../../shared/frame-protocol";
import { placeBeside } from "../card/place";
import type { Extraction } from "../extract/extract";
import { fromDomPoint, nodeIndex } from "../extract/offsets";
import { FrameHost, type Size } from "../frame-host";
import { extensionAlive } from "../messaging";
import type { PageSession } from "../page";

/** A selection in text we read: [start, end) of the extraction it was made in. */
interface Selection {
  start: number;
  end: number;
  ex: Extraction;
  /** The selection's line boxes, and the box of the block it ends in. */
  lines: DOMRect[];
  block: DOMRect;
}

const BLOCKS = "p, li, blockquote, figcaption, td, th, dd, dt, h1, h2, h3, h4, h5, h6, pre, article, section, main, div, body";

export class SaveFlow {
  private readonly frame: FrameHost;
  /** Whether the form (not just the button) is open. */
  private formOpen = false;
  /** The selection the button or the form is for. */
  private selection: Selection | null = null;
  private returnFocus: Element | null = null;

  constructor(
    private readonly doc: Document,
    private readonly page: PageSession,
  ) {
    this.frame = new FrameHost(doc, "save", "Save to Gloss", (e) => this.onFrameEvent(e));
  }

  get open(): boolean {
    return this.formOpen;
  }

  install(): void {
    // Only the reader's own events count: a page script's synthetic mouseup or keyup does nothing.
    this.doc.addEventListener("mouseup", (e) => {
      if (!e.isTrusted || e.target === this.frame.frame) return;
      this.onSelectionDone();
    });
    this.doc.addEventListener("keyup", (e) => {
      if (e.isTrusted && (e.shiftKey || e.key === "Shift")) this.onSelectionDone();
    });
  }

  close(): void {
    const hadFocus = this.doc.activeElement === this.frame.frame;
    this.formOpen = false;
    this.selection = null;
    this.frame.hide();
    const back = this.returnFocus as HTMLElement | null;
    this.returnFocus = null;
    if (hadFocus && back && back.isConnected && back !== this.doc.body && typeof back.focus === "function") back.focus({ preventScroll: true });
  }

  /** The page is going away (perhaps into the back/forward cache): the frame goes with it. */
  detach(): void {
    this.close();
    this.frame.remove();
  }

  /**
   * The form for the current selection: from the save button (pressed in the frame) or the context
   * menu (the worker's message). `focus`: the keyboard opened it, so focus goes into the form.
   */
  async openForm(focus = true): Promise<void> {
    if (!this.selection) this.selection = this.selectionOffsets();
    const sel = this.selection;
    if (!sel) return;
    this.formOpen = true;
    const active = this.doc.activeElement;
    if (active !== this.frame.frame) this.returnFocus = active;
    const doc = this.doc;
    const size = await this.frame.ask({ type: "save-form", url: doc.location.href, title: doc.title, selectors: describe(sel.ex.text, sel.start, sel.end), focus });
    if (!size || this.selection !== sel) return;
    this.placeFor(sel, size, true);
    this.frame.focus();
  }

  private onFrameEvent(e: FrameEvent): void {
    switch (e.type) {
      case "open-form":
        void this.openForm(true);
        return;
      case "close":
        this.close();
        return;
      case "saved": {
        const sel = this.selection;
        this.close();
        if (!sel) return;
        this.doc.getSelection()?.removeAllRanges();
        this.page.addSaved({ id: e.annotation.id, selectors: e.annotation.selectors, color: e.annotation.color, note: "", tags: [] }, sel.ex);
        return;
      }
      default:
        return;
    }
  }

  private placeFor(sel: Selection, size: Size, form: boolean): void {
    const view = this.doc.defaultView!;
    const fitted = this.frame.fit(size);
    const pos = placeBeside(sel.lines, sel.block, fitted, { width: view.innerWidth, height: view.innerHeight }, form);
    this.frame.place(pos, fitted, form ? "panel" : "pill");
  }

  private onSelectionDone(): void {
    if (this.formOpen || !extensionAlive()) return;
    setTimeout(() => {
      const s = this.selectionOffsets();
      if (!s) {
        if (!this.formOpen) this.frame.hide();
        return;
      }
      this.selection = s;
      void this.frame.ask({ type: "save-button" }).then((size) => {
        if (size && this.selection === s && !this.formOpen) this.placeFor(s, size, false);
      });
    }, 0);
  }

  /** The current selection as offsets in the page text, when it lies in text we read. */
  private selectionOffsets(): Selection | null {
    const doc = this.doc;
    const sel = doc.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return null;
    const range = sel.getRangeAt(0);
    const target = range.commonAncestorContainer;
    const el = target.nodeType === 1 ? (target as Element) : target.parentElement;
    if (el?.closest("input, textarea, select, [contenteditable], [data-gloss-ui]")) return null;
    const ex = this.page.readText();
    const index = nodeIndex(ex);
    const start = this.boundaryOffset(index, ex, range.startContainer, range.startOffset, false);
    const end = this.boundaryOffset(index, ex, range.endContainer, range.endOffset, true);
    if (start === null || end === null || end <= start || !/\S/.test(ex.text.slice(start, end))) return null;
    const endEl = range.endContainer.nodeType === 1 ? (range.endContainer as Element) : range.endContainer.parentElement;
    const block = (endEl?.closest(BLOCKS) ?? doc.body ?? doc.documentElement).getBoundingClientRect();
    const lines = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
    return { start, end, ex, lines, block };
  }

  private boundaryOffset(index: Map<Text, number>, ex: Extraction, node: Node, offset: number, isEnd: boolean): number | null {
    const direct = fromDomPoint(index, ex, node, offset);
    if (direct !== null) return direct;
    // An element boundary: the nearest extracted text node after (start) or before (end) it.
    const doc = this.doc;
    const walker = doc.createTreeWalker(doc.body ?? doc.documentElement, NodeFilter.SHOW_TEXT);
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
}
