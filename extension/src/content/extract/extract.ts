// Extract a page's visible main text, with a map from UTF-16 offsets back to DOM text nodes.

/** One DOM text node's place in the extracted text: text.slice(start, end) === node.data. */
export interface Segment {
  node: Text;
  start: number;
  end: number;
}

export interface Extraction {
  text: string;
  segments: Segment[];
}

const SKIP_TAGS = new Set([
  "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "IFRAME", "OBJECT", "EMBED", "CANVAS", "SVG", "MATH",
  "NAV", "INPUT", "TEXTAREA", "SELECT", "OPTION", "BUTTON", "HEAD", "TITLE", "META", "LINK",
  "VIDEO", "AUDIO", "PICTURE", "IMG", "FORM",
]);

const BLOCK_TAGS = new Set([
  "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BR", "DD", "DETAILS", "DIALOG", "DIV", "DL", "DT",
  "FIELDSET", "FIGCAPTION", "FIGURE", "FOOTER", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR",
  "LI", "MAIN", "OL", "P", "PRE", "SECTION", "SUMMARY", "TABLE", "TD", "TH", "TR", "UL", "BODY",
  "CAPTION", "TBODY", "THEAD", "TFOOT",
]);

/** Our own UI is prefixed `gloss-`; it is never read (but `gloss-mark` wraps page text). */
export function isOwnUi(el: Element): boolean {
  const tag = el.tagName.toUpperCase();
  return (tag.startsWith("GLOSS-") && tag !== "GLOSS-MARK") || el.hasAttribute("data-gloss-ui");
}

export interface ExtractOptions {
  /** Whether an element is hidden; defaults to the computed style (display, visibility). */
  isHidden?: (el: Element) => boolean;
  /** Text nodes already sent; they are skipped (for incremental re-annotation). */
  skipNodes?: WeakSet<Text> | Set<Text>;
}

export function defaultIsHidden(el: Element): boolean {
  const view = el.ownerDocument.defaultView;
  if (!view) return false;
  const style = view.getComputedStyle(el);
  return style.display === "none" || style.visibility === "hidden" || style.visibility === "collapse";
}

function skipElement(el: Element, isHidden: (el: Element) => boolean): boolean {
  if (SKIP_TAGS.has(el.tagName.toUpperCase())) return true;
  if (isOwnUi(el)) return true;
  if (el.hasAttribute("hidden") || el.getAttribute("aria-hidden") === "true") return true;
  const role = el.getAttribute("role");
  if (role === "navigation" || role === "search") return true;
  if (el.getAttribute("contenteditable") === "true" || el.getAttribute("contenteditable") === "") return true;
  // Never read payment or password forms' surroundings by autocomplete hints.
  const ac = el.getAttribute("autocomplete") ?? "";
  if (/^cc-|current-password|new-password/.test(ac)) return true;
  return isHidden(el);
}

/**
 * Walk `root` in document order. Block boundaries become "\n" in the text (not mapped to any
 * node), so words in adjacent blocks never merge; text nodes keep their data as is, so an
 * offset inside a segment is an offset inside its node.
 */
export function extractText(root: Element, options: ExtractOptions = {}): Extraction {
  const isHidden = options.isHidden ?? defaultIsHidden;
  const skip = options.skipNodes;
  const parts: string[] = [];
  const segments: Segment[] = [];
  let length = 0;
  let pendingBreak = false;

  const breakHere = () => {
    if (length > 0) pendingBreak = true;
  };

  const visit = (node: Node) => {
    if (node.nodeType === 3) {
      const text = node as Text;
      const data = text.data;
      if (!data || (skip && skip.has(text))) return;
      if (!/\S/.test(data) && !pendingBreak && length === 0) return;
      if (pendingBreak) {
        parts.push("\n");
        length += 1;
        pendingBreak = false;
      }
      segments.push({ node: text, start: length, end: length + data.length });
      parts.push(data);
      length += data.length;
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node as Element;
    if (skipElement(el, isHidden)) {
      if (BLOCK_TAGS.has(el.tagName.toUpperCase())) breakHere();
      return;
    }
    const block = BLOCK_TAGS.has(el.tagName.toUpperCase());
    if (block) breakHere();
    for (let child = el.firstChild; child; child = child.nextSibling) visit(child);
    if (block) breakHere();
  };
  visit(root);
  return { text: parts.join(""), segments };
}

/** The element to read: the page's main article when it has one with real text, else the body. */
export function mainRoot(doc: Document): Element {
  const body = doc.body ?? doc.documentElement;
  const candidates = Array.from(doc.querySelectorAll("main, [role=main], article"));
  const bodyLength = (body.textContent ?? "").length;
  for (const el of candidates) {
    if ((el.textContent ?? "").length >= bodyLength * 0.5) return el;
  }
  return body;
}
