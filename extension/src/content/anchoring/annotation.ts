// W3C Web Annotation JSON-LD for a saved highlight, and reading a stored one back.
import type { NewAnnotation } from "../../shared/api";
import type { Annotation, TextPositionSelector, TextQuoteSelector } from "../../shared/api.gen";

export interface HighlightInput {
  url: string;
  /** The page's title as the reader sees it; the share page heads the page with it. */
  title: string;
  selectors: [TextQuoteSelector, TextPositionSelector];
  note: string;
  tags: string[];
  color: string;
}

export function buildAnnotation(h: HighlightInput): NewAnnotation {
  const body: NonNullable<NewAnnotation["body"]> = [];
  if (h.note) body.push({ type: "TextualBody", value: h.note, format: "text/plain", purpose: "commenting" });
  for (const tag of h.tags) body.push({ type: "TextualBody", value: tag, purpose: "tagging" });
  return {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    type: "Annotation",
    motivation: h.note ? "commenting" : "highlighting",
    body,
    // The server keeps one note body; the color travels as Gloss's top-level `color`.
    color: h.color,
    target: { type: "SpecificResource", source: h.url, ...(h.title.trim() ? { title: h.title.trim().slice(0, 1000) } : {}), selector: h.selectors },
  };
}

/** A stored highlight as the content script uses it. */
export interface SavedHighlight {
  /** The annotation's IRI. */
  id: string;
  selectors: Array<TextQuoteSelector | TextPositionSelector>;
  color: string;
  note: string;
  tags: string[];
}

const KNOWN_COLORS = new Set(["yellow", "green", "blue", "pink"]);

export function readAnnotation(a: Annotation): SavedHighlight {
  let note = "";
  const tags: string[] = [];
  for (const b of a.body ?? []) {
    if (b.purpose === "tagging") tags.push(b.value);
    else note = b.value;
  }
  const color = a.color && KNOWN_COLORS.has(a.color) ? a.color : "yellow";
  // A target sent as a plain IRI (a note on the whole page, from another client) has no selector.
  const selectors = typeof a.target === "string" ? [] : (a.target.selector ?? []);
  return { id: a.id, selectors, color, note, tags };
}
