// W3C Web Annotation JSON-LD for a saved highlight, and reading one back.
import type { SelectorJson, StoredAnnotation } from "../../shared/types";
import type { PositionSelector, QuoteSelector } from "./anchor";

export interface HighlightInput {
  url: string;
  title: string;
  selectors: [QuoteSelector, PositionSelector];
  note: string;
  tags: string[];
  colour: string;
}

export function buildAnnotation(h: HighlightInput): Record<string, unknown> {
  const body: Array<Record<string, string>> = [];
  if (h.note) body.push({ type: "TextualBody", value: h.note, format: "text/plain", purpose: "commenting" });
  for (const tag of h.tags) body.push({ type: "TextualBody", value: tag, purpose: "tagging" });
  return {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    type: "Annotation",
    motivation: h.note ? "commenting" : "highlighting",
    body,
    // The server keeps one note body; the colour travels as Gloss's top-level `color`.
    color: h.colour,
    target: {
      source: h.url,
      ...(h.title ? { title: h.title } : {}),
      selector: h.selectors,
    },
  };
}

function bodies(a: StoredAnnotation): Array<Record<string, unknown>> {
  const b = a.body;
  if (Array.isArray(b)) return b.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null);
  if (typeof b === "object" && b !== null) return [b as Record<string, unknown>];
  return [];
}

export interface ReadAnnotation {
  id: string;
  selectors: SelectorJson[];
  colour: string;
  note: string;
  tags: string[];
}

const KNOWN_COLOURS = new Set(["yellow", "green", "blue", "pink"]);

export function readAnnotation(a: StoredAnnotation): ReadAnnotation {
  const targets = Array.isArray(a.target) ? a.target : a.target ? [a.target] : [];
  const selectors = targets.flatMap((t) => (Array.isArray(t.selector) ? t.selector : t.selector ? [t.selector as SelectorJson] : []));
  let colour = "yellow";
  let note = "";
  const tags: string[] = [];
  for (const b of bodies(a)) {
    const value = typeof b.value === "string" ? b.value : "";
    if (b.purpose === "highlighting" && KNOWN_COLOURS.has(value)) colour = value;
    else if (b.purpose === "tagging") tags.push(value);
    else if (value) note = value;
  }
  const extra = (a as { color?: unknown; colour?: unknown }).colour ?? (a as { color?: unknown }).color;
  if (typeof extra === "string" && KNOWN_COLOURS.has(extra)) colour = extra;
  return { id: String(a.id), selectors, colour, note, tags };
}
