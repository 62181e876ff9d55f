// Describe a passage by TextQuote and TextPosition selectors, and find it again later.
import type { TextPositionSelector, TextQuoteSelector } from "../../shared/api.gen";
import { searchFuzzy, similarity } from "./fuzzy";

export const CONTEXT = 32;

export function describe(text: string, start: number, end: number): [TextQuoteSelector, TextPositionSelector] {
  return [
    {
      type: "TextQuoteSelector",
      exact: text.slice(start, end),
      prefix: text.slice(Math.max(0, start - CONTEXT), start),
      suffix: text.slice(end, end + CONTEXT),
    },
    { type: "TextPositionSelector", start, end },
  ];
}

export type AnchorMethod = "position" | "quote" | "fuzzy";

export interface Anchor {
  start: number;
  end: number;
  method: AnchorMethod;
  score: number;
}

export function selectorsOf(list: Array<TextQuoteSelector | TextPositionSelector>): { quote?: TextQuoteSelector; position?: TextPositionSelector } {
  const out: { quote?: TextQuoteSelector; position?: TextPositionSelector } = {};
  for (const s of list) {
    if (s.type === "TextQuoteSelector") out.quote = s;
    else out.position = s;
  }
  return out;
}

/** Score a candidate [start, end) against the quote's context and the expected position. */
function contextScore(text: string, start: number, end: number, quote: TextQuoteSelector, expected: number | null): number {
  const qPrefix = quote.prefix ?? "";
  const qSuffix = quote.suffix ?? "";
  const prefix = text.slice(Math.max(0, start - qPrefix.length), start);
  const suffix = text.slice(end, end + qSuffix.length);
  let score = 0;
  score += qPrefix ? 20 * similarity(prefix, qPrefix) : 10;
  score += qSuffix ? 20 * similarity(suffix, qSuffix) : 10;
  if (expected !== null) score += 2 * (1 - Math.min(1, Math.abs(start - expected) / Math.max(1, text.length)));
  return score;
}

/**
 * Re-anchor: by position when the text there is still the quote, then by exact quote (the
 * occurrence whose context fits best), then by a fuzzy quote scored on match quality, prefix,
 * suffix and position. Null means an orphan, which the caller must keep and show.
 */
export function anchor(text: string, quote: TextQuoteSelector | undefined, position: TextPositionSelector | undefined): Anchor | null {
  if (position && position.end > position.start && position.end <= text.length) {
    const there = text.slice(position.start, position.end);
    if (!quote || there === quote.exact) return { start: position.start, end: position.end, method: "position", score: 1 };
  }
  if (!quote || !quote.exact) return null;
  const expected = position ? position.start : null;
  const exact = quote.exact;

  let best: Anchor | null = null;
  for (let i = text.indexOf(exact); i !== -1; i = text.indexOf(exact, i + 1)) {
    const score = contextScore(text, i, i + exact.length, quote, expected);
    if (!best || score > best.score) best = { start: i, end: i + exact.length, method: "quote", score };
  }
  if (best) return best;

  // Fuzzy: allow about a quarter of the quote to differ, scored so context breaks ties.
  const maxErrors = Math.min(64, Math.floor(exact.length / 4));
  if (maxErrors < 1) return null;
  for (const m of searchFuzzy(text, exact, maxErrors)) {
    const quality = 1 - m.errors / exact.length;
    const score = 50 * quality + contextScore(text, m.start, m.end, quote, expected);
    if (!best || score > best.score) best = { start: m.start, end: m.end, method: "fuzzy", score };
  }
  // A fuzzy match needs either a close quote or matching context, or it is a guess.
  if (best && best.score < 50 * 0.75 + 10) return null;
  return best;
}
