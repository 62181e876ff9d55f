// Extract a page's visible main text, with a map from UTF-16 offsets back to DOM text nodes.

/**
 * One DOM text node's place in the extracted text: text.slice(start, end) === node.data.
 * Segments of one block follow each other without a gap; a block boundary is BLOCK_BREAK, which
 * maps to no node.
 */
export interface Segment {
  node: Text;
  start: number;
  end: number;
}

export interface Extraction {
  text: string;
  segments: Segment[];
}

/** What separates two blocks (paragraph, heading, caption, list item, cell...) in the text. */
export const BLOCK_BREAK = "\n\n";

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
  /**
   * Whether an element the tags call inline is laid out as a block (a credit `<span>` styled
   * `display: block`); defaults to the computed style.
   */
  isBlockStyled?: (el: Element) => boolean;
  /** Text nodes already sent; they are skipped (for incremental re-annotation). */
  skipNodes?: WeakSet<Text> | Set<Text>;
  /** Read only these text nodes (the article); any other text breaks the text as a block would. */
  only?: ReadonlySet<Text>;
  /** Also skip the page's chrome: header and footer landmarks, asides, banners, dialogs. */
  skipChrome?: boolean;
}

const CHROME_ROLES = new Set(["banner", "contentinfo", "complementary", "dialog", "alertdialog", "menu", "menubar", "toolbar"]);
/** Elements inside which <header> and <footer> belong to a section, not to the page. */
const SECTIONING = "article, aside, main, nav, section, [role=main], [role=article]";
/** Cookie and consent banners name themselves so; nothing an article is called. */
const CONSENT = /(^|[-_\s])(cookie|consent|gdpr)s?([-_\s]|banner|notice|$)/i;

/** Page chrome a reader does not come for: header/footer landmarks, asides, banners, dialogs. */
export function isChrome(el: Element): boolean {
  const tag = el.tagName.toUpperCase();
  if (tag === "ASIDE") return true;
  if ((tag === "HEADER" || tag === "FOOTER") && !el.parentElement?.closest(SECTIONING)) return true;
  const role = el.getAttribute("role");
  if (role && CHROME_ROLES.has(role)) return true;
  if (el.getAttribute("aria-modal") === "true") return true;
  return CONSENT.test(el.id) || CONSENT.test(el.getAttribute("class") ?? "");
}

export function defaultIsHidden(el: Element): boolean {
  const view = el.ownerDocument.defaultView;
  if (!view) return false;
  const style = view.getComputedStyle(el);
  return style.display === "none" || style.visibility === "hidden" || style.visibility === "collapse";
}

export function defaultIsBlockStyled(el: Element): boolean {
  const view = el.ownerDocument.defaultView;
  if (!view) return false;
  const display = view.getComputedStyle(el).display;
  return display !== "" && !display.startsWith("inline") && display !== "contents" && display !== "none";
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
 * Walk `root` in document order. Block boundaries become BLOCK_BREAK in the text (not mapped to
 * any node), so words in adjacent blocks never merge and no span of the server's can join them;
 * text nodes keep their data as is, so an offset inside a segment is an offset inside its node.
 */
export function extractText(root: Element, options: ExtractOptions = {}): Extraction {
  const isHidden = options.isHidden ?? defaultIsHidden;
  const isBlockStyled = options.isBlockStyled ?? defaultIsBlockStyled;
  const skip = options.skipNodes;
  const only = options.only;
  const chrome = options.skipChrome === true;
  const parts: string[] = [];
  const segments: Segment[] = [];
  let length = 0;
  let pendingBreak = false;

  const breakHere = () => {
    if (length > 0) pendingBreak = true;
  };

  // With `only`, the elements holding none of its nodes are passed over without a style lookup.
  let holders: Set<Node> | null = null;
  if (only) {
    holders = new Set<Node>();
    for (const t of only) {
      for (let n: Node | null = t.parentNode; n && !holders.has(n); n = n === root ? null : n.parentNode) holders.add(n);
    }
  }

  const visit = (node: Node) => {
    if (node.nodeType === 3) {
      const text = node as Text;
      const data = text.data;
      if (!data || (skip && skip.has(text))) return;
      if (only && !only.has(text)) {
        // Text left out (a dropped promo inside a block) still separates what is on each side.
        if (/\S/.test(data)) breakHere();
        return;
      }
      if (!/\S/.test(data) && (pendingBreak || length === 0)) return;
      if (pendingBreak) {
        parts.push(BLOCK_BREAK);
        length += BLOCK_BREAK.length;
        pendingBreak = false;
      }
      segments.push({ node: text, start: length, end: length + data.length });
      parts.push(data);
      length += data.length;
      return;
    }
    if (node.nodeType !== 1) return;
    const el = node as Element;
    if (holders && !holders.has(el)) {
      if (BLOCK_TAGS.has(el.tagName.toUpperCase()) || /\S/.test(el.textContent ?? "")) breakHere();
      return;
    }
    if (skipElement(el, isHidden) || (chrome && isChrome(el))) {
      if (BLOCK_TAGS.has(el.tagName.toUpperCase())) breakHere();
      return;
    }
    const block = BLOCK_TAGS.has(el.tagName.toUpperCase()) || isBlockStyled(el);
    if (block) breakHere();
    for (let child = el.firstChild; child; child = child.nextSibling) visit(child);
    if (block) breakHere();
  };
  visit(root);
  return { text: parts.join(""), segments };
}
