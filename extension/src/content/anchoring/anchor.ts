// Describe a passage by TextQuote and TextPosition selectors, and find it again later.
import type { TextPositionSelector, TextQuoteSelector } from "../../shared/api.gen";
import { matchQuote } from "./match-quote";

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

/** A fuzzy match may differ from the quote in at most this share of its characters. */
export const MAX_FUZZY_ERRORS = 0.25;
/**
 * The least score (of 1) a fuzzy match needs. Unrelated 32-character contexts score about 0.28
 * each (docs/adr/0011), so a quote within 10% of its characters is found on its own, while one
 * nearer the quarter needs some of its prefix or suffix to agree: otherwise it is an orphan.
 */
export const MIN_FUZZY_SCORE = 0.6;

/**
 * Re-anchor: by position when the text there is still the quote, then by exact quote (the
 * occurrence whose context fits best), then by a fuzzy quote scored on quote, prefix, suffix and
 * position. Null means an orphan, which the caller must keep and show.
 */
export function anchor(text: string, quote: TextQuoteSelector | undefined, position: TextPositionSelector | undefined): Anchor | null {
  if (position && position.end > position.start && position.end <= text.length) {
    const there = text.slice(position.start, position.end);
    if (!quote || there === quote.exact) return { start: position.start, end: position.end, method: "position", score: 1 };
  }
  if (!quote || !quote.exact) return null;
  const context = { prefix: quote.prefix, suffix: quote.suffix, hint: position ? position.start : null };
  const exact = matchQuote(text, quote.exact, context, 0);
  if (exact) return { start: exact.start, end: exact.end, method: "quote", score: exact.score };
  const maxErrors = Math.min(256, Math.floor(quote.exact.length * MAX_FUZZY_ERRORS));
  const fuzzy = matchQuote(text, quote.exact, context, maxErrors);
  if (!fuzzy || fuzzy.score < MIN_FUZZY_SCORE) return null;
  return { start: fuzzy.start, end: fuzzy.end, method: "fuzzy", score: fuzzy.score };
}
