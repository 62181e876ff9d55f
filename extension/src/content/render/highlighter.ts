// Draw spans without touching layout or text: CSS Custom Highlights, or `gloss-mark` elements.
import { COLORS, ENTITY_STYLE, FOCUS_STYLE, SAVED_STYLE, TERM_STYLE } from "../../shared/highlight-style";
import type { Extraction } from "../extract/extract";
import { toRange } from "../extract/offsets";
import type { DrawSpan } from "./spans";

const NAMES = ["gloss-entity", "gloss-term", "gloss-focus", ...COLORS.map((c) => `gloss-saved-${c}`)];

const HIGHLIGHT_CSS = `
::highlight(gloss-entity) { ${ENTITY_STYLE} }
::highlight(gloss-term) { ${TERM_STYLE} }
::highlight(gloss-focus) { ${FOCUS_STYLE} }
${COLORS.map((c) => `::highlight(gloss-saved-${c}) { ${SAVED_STYLE[c]} }`).join("\n")}
gloss-mark { all: unset; display: inline; }
gloss-mark[data-kind=entity] { ${ENTITY_STYLE} }
gloss-mark[data-kind=term] { ${TERM_STYLE} }
gloss-mark[data-kind=saved] { ${SAVED_STYLE.yellow} }
gloss-mark[data-color=green] { ${SAVED_STYLE.green} }
gloss-mark[data-color=blue] { ${SAVED_STYLE.blue} }
gloss-mark[data-color=pink] { ${SAVED_STYLE.pink} }
`;

interface HighlightRegistry {
  set(name: string, value: unknown): void;
  delete(name: string): boolean;
}

type HighlightCtor = new (...ranges: AbstractRange[]) => { add(r: AbstractRange): void; clear(): void; priority: number; size: number };

function registry(): { highlights: HighlightRegistry; Highlight: HighlightCtor } | null {
  const css = (globalThis as { CSS?: { highlights?: HighlightRegistry } }).CSS;
  const ctor = (globalThis as { Highlight?: HighlightCtor }).Highlight;
  if (css?.highlights && ctor) return { highlights: css.highlights, Highlight: ctor };
  return null;
}

export interface Highlighter {
  readonly mode: "highlight-api" | "elements";
  /** Draw spans against an extraction; returns how many were drawn. */
  draw(ex: Extraction, spans: DrawSpan[]): number;
  focus(range: Range | null): void;
  clear(): void;
}

function ensureStyle(doc: Document): void {
  if (doc.getElementById("gloss-style")) return;
  const style = doc.createElement("style");
  style.id = "gloss-style";
  style.setAttribute("data-gloss-ui", "");
  style.textContent = HIGHLIGHT_CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}

export function createHighlighter(doc: Document, forceElements = false): Highlighter {
  const reg = forceElements ? null : registry();
  ensureStyle(doc);
  if (reg) return highlightApi(doc, reg);
  return elementFallback(doc);
}

function highlightApi(doc: Document, reg: { highlights: HighlightRegistry; Highlight: HighlightCtor }): Highlighter {
  const sets = new Map<string, InstanceType<HighlightCtor>>();
  const get = (name: string) => {
    let h = sets.get(name);
    if (!h) {
      h = new reg.Highlight();
      // Layers: entities under terms under saved highlights under the keyboard focus.
      h.priority = name === "gloss-focus" ? 4 : name.startsWith("gloss-saved") ? 3 : name === "gloss-term" ? 2 : 1;
      sets.set(name, h);
      reg.highlights.set(name, h);
    }
    return h;
  };
  return {
    mode: "highlight-api",
    draw(ex, spans) {
      let n = 0;
      for (const s of spans) {
        const range = toRange(ex, s.start, s.end, doc);
        if (!range) continue;
        const name = s.kind === "saved" ? `gloss-saved-${s.color ?? "yellow"}` : `gloss-${s.kind}`;
        get(name).add(range);
        n++;
      }
      return n;
    },
    focus(range) {
      const h = get("gloss-focus");
      h.clear();
      if (range) h.add(range);
    },
    clear() {
      for (const name of NAMES) reg.highlights.delete(name);
      sets.clear();
    },
  };
}

/**
 * Fallback for browsers without the Highlight API: wrap each text-node piece in an inline
 * `gloss-mark` (no box of its own, so layout is unchanged; the text itself is untouched).
 */
function elementFallback(doc: Document): Highlighter {
  const marks: Element[] = [];
  let focused: Element[] = [];
  const wrap = (range: Range, s: DrawSpan): number => {
    const pieces: Array<{ node: Text; start: number; end: number }> = [];
    const walker = doc.createTreeWalker(range.commonAncestorContainer, 4 /* SHOW_TEXT */);
    let node: Node | null = range.commonAncestorContainer.nodeType === 3 ? range.commonAncestorContainer : walker.nextNode();
    while (node) {
      if (range.intersectsNode(node)) {
        const t = node as Text;
        const start = node === range.startContainer ? range.startOffset : 0;
        const end = node === range.endContainer ? range.endOffset : t.data.length;
        if (end > start) pieces.push({ node: t, start, end });
      }
      node = walker.nextNode();
    }
    for (const p of pieces) {
      let t = p.node;
      if (p.end < t.data.length) t.splitText(p.end);
      if (p.start > 0) t = t.splitText(p.start);
      const mark = doc.createElement("gloss-mark");
      mark.setAttribute("data-kind", s.kind);
      if (s.color) mark.setAttribute("data-color", s.color);
      t.parentNode!.insertBefore(mark, t);
      mark.appendChild(t);
      marks.push(mark);
    }
    return pieces.length;
  };
  return {
    mode: "elements",
    draw(ex, spans) {
      // Wrap from the end so earlier offsets stay valid while nodes split.
      let n = 0;
      const ranges = spans.map((s) => ({ s, r: toRange(ex, s.start, s.end, doc) }));
      for (let i = ranges.length - 1; i >= 0; i--) {
        const { s, r } = ranges[i]!;
        if (r && wrap(r, s) > 0) n++;
      }
      return n;
    },
    focus(range) {
      for (const el of focused) el.removeAttribute("data-focus");
      focused = [];
      if (!range) return;
      for (const m of marks) {
        if (range.intersectsNode(m)) {
          m.setAttribute("data-focus", "");
          focused.push(m);
        }
      }
    },
    clear() {
      for (const m of marks.splice(0)) {
        const parent = m.parentNode;
        if (!parent) continue;
        while (m.firstChild) parent.insertBefore(m.firstChild, m);
        parent.removeChild(m);
        parent.normalize();
      }
    },
  };
}
