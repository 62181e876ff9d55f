// Spans to draw, in the extracted text's offsets; overlaps resolved and looked up by offset.
import type { Entity, TermHit } from "../../shared/api.gen";

export type SpanKind = "term" | "entity" | "saved";

export interface DrawSpan {
  kind: SpanKind;
  start: number;
  end: number;
  /** Index into the annotate answer's terms or entities, or a saved annotation's id. */
  ref: string;
  color?: string;
}

/** Where kinds overlap, the more specific wins for hover: saved > term > entity. */
export const KIND_PRIORITY: Record<SpanKind, number> = { saved: 3, term: 2, entity: 1 };

/**
 * Terms and entities from one annotate answer as draw spans. Overlapping spans of the same kind
 * keep the longer one (the server should not send them, but a page is no place to fail); across
 * kinds both are kept and drawn in layers.
 */
export function spansFromAnswer(terms: TermHit[], entities: Entity[], textLength: number, base = 0): DrawSpan[] {
  const out: DrawSpan[] = [];
  const add = (kind: SpanKind, list: Array<{ start: number; end: number }>) => {
    const valid = list
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end > s.start && s.end <= textLength)
      .sort((a, b) => a.s.start - b.s.start || b.s.end - b.s.start - (a.s.end - a.s.start));
    let lastEnd = -1;
    for (const { s, i } of valid) {
      if (s.start < lastEnd) continue;
      out.push({ kind, start: s.start + base, end: s.end + base, ref: `${kind}:${i}` });
      lastEnd = s.end;
    }
  };
  add("term", terms);
  add("entity", entities);
  return out.sort((a, b) => a.start - b.start || KIND_PRIORITY[b.kind] - KIND_PRIORITY[a.kind]);
}

/** The spans covering `offset`, the highest priority first. */
export function spansAt(sorted: DrawSpan[], offset: number): DrawSpan[] {
  const hits: DrawSpan[] = [];
  for (const s of sorted) {
    if (s.start > offset) break;
    if (offset < s.end) hits.push(s);
  }
  return hits.sort((a, b) => KIND_PRIORITY[b.kind] - KIND_PRIORITY[a.kind]);
}
