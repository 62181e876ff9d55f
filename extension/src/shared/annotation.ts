// W3C Web Annotation JSON-LD for a saved highlight, and reading a stored one back.
import type { NewAnnotation } from "./api";
import type { Annotation, TextPositionSelector, TextQuoteSelector } from "./api.gen";
import { COLORS } from "./highlight-style";

export interface HighlightInput {
  url: string;
  /** The page's title as the reader sees it; the share page heads the page with it. */
  title: string;
  selectors: [TextQuoteSelector, TextPositionSelector];
  note: string;
  tags: string[];
  color: string;
}

/** A highlight's bodies and motivation: one commenting note (when written) and one tag each. */
export function annotationBody(note: string, tags: string[]): Pick<Annotation, "body" | "motivation"> {
  const body: NonNullable<Annotation["body"]> = [];
  if (note) body.push({ type: "TextualBody", value: note, format: "text/plain", purpose: "commenting" });
  for (const tag of tags) body.push({ type: "TextualBody", value: tag, purpose: "tagging" });
  return { body, motivation: note ? "commenting" : "highlighting" };
}

export function buildAnnotation(h: HighlightInput): NewAnnotation {
  return {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    type: "Annotation",
    ...annotationBody(h.note, h.tags),
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

const KNOWN_COLORS = new Set<string>(COLORS);

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
