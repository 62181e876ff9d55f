// Saving a highlight: the reader's selection as offsets in the page text, the form, the request.
import { describe } from "../anchoring/anchor";
import { buildAnnotation, readAnnotation } from "../anchoring/annotation";
import type { Extraction } from "../extract/extract";
import { fromDomPoint, nodeIndex } from "../extract/offsets";
import { extensionAlive, send } from "../messaging";
import type { PageSession } from "../page";
import { createSaveUi, type SaveRequest, type SaveUi } from "./save-form";

/** A selection in text we read: [start, end) of the extraction it was made in. */
interface Selection {
  start: number;
  end: number;
  ex: Extraction;
  rect: DOMRect;
}

export class SaveFlow {
  private readonly ui: SaveUi;
  /** Whether the form (not just the button) is open. */
  private formOpen = false;
  /** The selection the button or the form is for. */
  private selection: Selection | null = null;

  constructor(
    private readonly doc: Document,
    private readonly page: PageSession,
  ) {
    this.ui = createSaveUi(doc, {
      onOpen: () => void this.openForm(),
      onCancel: () => this.close(),
      onSubmit: (req) => void this.submit(req),
    });
  }

  get open(): boolean {
    return this.formOpen;
  }

  install(): void {
    this.doc.addEventListener("mouseup", (e) => {
      if (this.ui.contains(e.target as Node)) return;
      this.onSelectionDone();
    });
    this.doc.addEventListener("keyup", (e) => {
      if (e.shiftKey || e.key === "Shift") this.onSelectionDone();
    });
  }

  close(): void {
    this.formOpen = false;
    this.selection = null;
    this.ui.hide();
  }

  /** The form for the current selection (the button, the context menu). */
  async openForm(): Promise<void> {
    if (!this.selection) this.selection = this.selectionOffsets();
    const sel = this.selection;
    if (!sel) return;
    this.formOpen = true;
    const reply = await send({ type: "content/collections" });
    if (!reply.ok) {
      this.ui.showForm(sel.rect, [], null);
      this.ui.showError(reply.error.message);
      return;
    }
    this.ui.showForm(sel.rect, reply.value.collections, reply.value.lastUsed);
  }

  private onSelectionDone(): void {
    if (this.formOpen || !extensionAlive()) return;
    setTimeout(() => {
      const s = this.selectionOffsets();
      if (!s) {
        if (!this.formOpen) this.ui.hide();
        return;
      }
      this.selection = s;
      this.ui.showButton(s.rect);
    }, 0);
  }

  private async submit(req: SaveRequest): Promise<void> {
    const sel = this.selection;
    if (!sel) return;
    const doc = this.doc;
    const annotation = buildAnnotation({ url: doc.location.href, title: doc.title, selectors: describe(sel.ex.text, sel.start, sel.end), note: req.note, tags: req.tags, color: req.color });
    const reply = await send({ type: "content/save-annotation", collectionId: req.collectionId, annotation });
    if (!reply.ok) {
      this.ui.showError(`Not saved: ${reply.error.message}`);
      return;
    }
    const saved = readAnnotation(reply.value);
    this.close();
    doc.getSelection()?.removeAllRanges();
    this.page.addSaved({ ...saved, color: req.color }, sel.ex);
  }

  /** The current selection as offsets in the page text, when it lies in text we read. */
  private selectionOffsets(): Selection | null {
    const doc = this.doc;
    const sel = doc.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return null;
    const range = sel.getRangeAt(0);
    const target = range.commonAncestorContainer;
    const el = target.nodeType === 1 ? (target as Element) : target.parentElement;
    if (el?.closest("input, textarea, select, [contenteditable], gloss-card, gloss-save")) return null;
    const ex = this.page.readText();
    const index = nodeIndex(ex);
    const start = this.boundaryOffset(index, ex, range.startContainer, range.startOffset, false);
    const end = this.boundaryOffset(index, ex, range.endContainer, range.endOffset, true);
    if (start === null || end === null || end <= start || !/\S/.test(ex.text.slice(start, end))) return null;
    return { start, end, ex, rect: range.getBoundingClientRect() };
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
