// Find the article the reader came for (Readability on a clone) and map it back to the live page.
import { Readability } from "@mozilla/readability";
import { type Extraction, type ExtractOptions, extractText } from "./extract";

/** Where the page's text is read from, and which of its text nodes are the article. */
export interface ArticleScope {
  /** The smallest element holding the whole article (title included), or the page's main part. */
  root: Element;
  /**
   * Where late content may join the article: the smallest element holding Readability's article
   * (without the title heading, which may sit far away in the page's header); `root` otherwise.
   */
  container: Element;
  /** The article's text nodes in the live page; null when no article was found (read the page). */
  nodes: Set<Text> | null;
  /** The title Readability found, for the record. */
  title: string | null;
}

/** Below this many characters, what Readability kept is a fragment, not an article. */
const MIN_ARTICLE_CHARS = 250;

/** Clone attribute naming the live element a clone element came from (never set on the page). */
const INDEX_ATTR = "data-gloss-live";

interface CloneMap {
  clone: Document;
  texts: Map<Text, Text>;
  elements: Element[];
}

/**
 * Clone the document and pair every clone node with its live counterpart by walking both trees
 * in step (a deep clone has the same shape). Clone elements also carry their live element's
 * index in an attribute, for the text Readability re-parses from HTML when it retries.
 */
function cloneWithMap(doc: Document): CloneMap {
  const clone = doc.cloneNode(true) as Document;
  const texts = new Map<Text, Text>();
  const elements: Element[] = [];
  let a: Node | null = doc.documentElement;
  let b: Node | null = clone.documentElement;
  const rootA = a;
  while (a && b) {
    if (a.nodeType === 3) texts.set(b as Text, a as Text);
    else if (a.nodeType === 1) {
      (b as Element).setAttribute(INDEX_ATTR, String(elements.length));
      elements.push(a as Element);
    }
    if (a.firstChild && b.firstChild) {
      a = a.firstChild;
      b = b.firstChild;
      continue;
    }
    while (a && b && a !== rootA && !a.nextSibling) {
      a = a.parentNode;
      b = b.parentNode;
    }
    if (!a || !b || a === rootA) break;
    a = a.nextSibling;
    b = b.nextSibling;
  }
  return { clone, texts, elements };
}

/** The live text node for a text node of Readability's article. */
function liveText(map: CloneMap, t: Text, used: Set<Text>): Text | null {
  const direct = map.texts.get(t);
  if (direct) return direct;
  // Re-parsed from HTML (Readability's retry): the same data under the same live element.
  const idx = t.parentElement?.getAttribute(INDEX_ATTR);
  const parent = idx == null ? undefined : map.elements[Number(idx)];
  if (!parent) return null;
  for (let c = parent.firstChild; c; c = c.nextSibling) {
    if (c.nodeType === 3 && (c as Text).data === t.data && !used.has(c as Text)) return c as Text;
  }
  return null;
}

function textNodesOf(el: Node): Text[] {
  const out: Text[] = [];
  const walk = (n: Node) => {
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType === 3) out.push(c as Text);
      else if (c.nodeType === 1) walk(c);
    }
  };
  walk(el);
  return out;
}

/** Between the links of a row of links: separators only. */
const SEPARATORS = /^[\s|·•/.,:;–—-]*$/;
const FORM_TITLE_MAX = 100;

/** A row of three or more links with only separators between them ("Reprints | Subscribe"). */
function isLinkRow(el: Element): boolean {
  if (el.getElementsByTagName("a").length < 3) return false;
  let between = "";
  for (const t of textNodesOf(el)) if (!t.parentElement?.closest("a")) between += t.data;
  return SEPARATORS.test(between);
}

/** The title of a form beside it ("Sign up for our newsletter"): a short block followed by a form. */
function isFormTitle(el: Element): boolean {
  const next = el.nextElementSibling;
  if (!next) return false;
  let chars = 0;
  for (const t of textNodesOf(el)) if ((chars += t.data.trim().length) > FORM_TITLE_MAX) return false;
  return next.tagName === "FORM" || next.getElementsByTagName("form").length > 0;
}

/**
 * Chrome that Readability keeps at times, inside the article: rows of links (reprints,
 * subscribe, share) and the titles of sign-up forms. Their text nodes leave the article.
 */
function pruneChrome(nodes: Set<Text>): void {
  const judged = new Map<(el: Element) => boolean, Map<Element, boolean>>();
  const judge = (el: Element, test: (el: Element) => boolean) => {
    const seen = judged.get(test) ?? judged.set(test, new Map()).get(test)!;
    let verdict = seen.get(el);
    if (verdict === undefined) {
      verdict = test(el);
      seen.set(el, verdict);
      if (verdict) for (const t of textNodesOf(el)) nodes.delete(t);
    }
    return verdict;
  };
  for (const t of [...nodes]) {
    if (!nodes.has(t)) continue;
    const row = t.parentElement?.closest("a")?.parentElement;
    if (row && judge(row, isLinkRow)) continue;
    const block = t.parentElement?.closest("p, h2, h3, h4, h5, h6, div, label, legend");
    if (block) judge(block, isFormTitle);
  }
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim().toLowerCase();

/**
 * The heading the reader sees as the article's title: an h1 (else h2) whose text is the title
 * Readability found (or holds it, or is held by it), the last such one before the article's
 * first node. Readability drops it from the article because it duplicates the title.
 */
function titleHeading(doc: Document, title: string | null, first: Text): Element | null {
  const wanted = squash(title ?? "");
  if (wanted.length < 3) return null;
  for (const tag of ["h1", "h2"]) {
    let best: Element | null = null;
    for (const h of Array.from(doc.getElementsByTagName(tag))) {
      const text = squash(h.textContent ?? "");
      if (text.length < 3) continue;
      const similar = text === wanted || (wanted.includes(text) && text.length >= wanted.length * 0.5) || (text.includes(wanted) && wanted.length >= text.length * 0.5);
      if (!similar) continue;
      const before = (h.compareDocumentPosition(first) & 4) !== 0 || h.contains(first);
      if (before) best = h;
      else if (!best) best = h;
      if (!before) break;
    }
    if (best) return best;
  }
  return null;
}

function commonRoot(doc: Document, first: Node, last: Node): Element {
  const range = doc.createRange();
  range.setStartBefore(first);
  range.setEndAfter(last);
  const c = range.commonAncestorContainer;
  return (c.nodeType === 1 ? (c as Element) : c.parentElement) ?? doc.body ?? doc.documentElement;
}

/** The page's main part when there is no article: <main> or [role=main] when it has text, else the body. */
export function pageRoot(doc: Document): Element {
  const body = doc.body ?? doc.documentElement;
  const main = doc.querySelector("main, [role=main]");
  return main && /\S/.test(main.textContent ?? "") ? main : body;
}

/**
 * Run Readability on a clone of the page and map the article it keeps back to the live page's
 * text nodes, plus the title heading. The live page is not touched.
 */
export function findArticle(doc: Document): ArticleScope {
  const page = pageRoot(doc);
  const fallback: ArticleScope = { root: page, container: page, nodes: null, title: null };
  if (!doc.documentElement || !doc.body) return fallback;
  let map: CloneMap;
  let article: ReturnType<Readability<Element>["parse"]>;
  try {
    map = cloneWithMap(doc);
    article = new Readability<Element>(map.clone, { serializer: (el) => el as Element }).parse();
  } catch {
    return fallback;
  }
  const content = article?.content;
  if (!article || !content) return fallback;
  const nodes = new Set<Text>();
  let chars = 0;
  for (const t of textNodesOf(content)) {
    const live = liveText(map, t, nodes);
    if (!live || !live.isConnected) continue;
    nodes.add(live);
    chars += live.data.trim().length;
  }
  if (chars < MIN_ARTICLE_CHARS) return fallback;
  pruneChrome(nodes);
  if (nodes.size === 0) return fallback;
  // The first and last article nodes in page order bound the root.
  let first: Text | null = null;
  let last: Text | null = null;
  for (const t of nodes) {
    if (!first || t.compareDocumentPosition(first) & 4) first = t;
    if (!last || last.compareDocumentPosition(t) & 4) last = t;
  }
  if (!first || !last) return fallback;
  const heading = titleHeading(doc, article.title ?? null, first);
  if (heading) for (const t of textNodesOf(heading)) nodes.add(t);
  const start = heading && heading.compareDocumentPosition(first) & 4 ? heading : first;
  const end = heading && last.compareDocumentPosition(heading) & 4 && !heading.contains(last) ? heading : last;
  return { root: commonRoot(doc, start, end), container: commonRoot(doc, first, last), nodes, title: article.title ?? null };
}

/**
 * The text to annotate: the article's text nodes in page order, blocks separated; without an
 * article, the visible text of the page's main part minus its chrome.
 */
export function extractScope(scope: ArticleScope, options: Omit<ExtractOptions, "only" | "skipChrome"> = {}): Extraction {
  // In an article, Readability has already judged each node (a title in a page-level <header> is
  // still the title); without one, the page's chrome is left out by its tags and roles.
  return extractText(scope.root, scope.nodes ? { ...options, only: scope.nodes } : { ...options, skipChrome: true });
}

/** Find the article and extract it in one go (tests, benchmarks, the selection when nothing ran). */
export function extractArticle(doc: Document, options: Omit<ExtractOptions, "only" | "skipChrome"> = {}): Extraction & { scope: ArticleScope } {
  const scope = findArticle(doc);
  return { ...extractScope(scope, options), scope };
}
