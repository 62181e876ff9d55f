// Find a quote in a text again: its exact occurrences, else its closest approximate ones, each
// scored on the quote, its prefix and suffix, and its expected position (as hypothesis/client does).
import approxSearch from "approx-string-match";

export interface QuoteContext {
  prefix?: string | null;
  suffix?: string | null;
  /** Where the quote was (its TextPositionSelector start), if known. */
  hint?: number | null;
}

export interface QuoteMatch {
  start: number;
  end: number;
  /** Edits between the quote and the text matched (0 for an exact match). */
  errors: number;
  /** In [0, 1]: the weighted agreement of quote, prefix, suffix and position. */
  score: number;
}

// The quote matters most; the context tells two occurrences apart; the position breaks ties.
const WEIGHTS = { quote: 50, prefix: 20, suffix: 20, position: 2 };
const TOTAL = WEIGHTS.quote + WEIGHTS.prefix + WEIGHTS.suffix + WEIGHTS.position;

/**
 * How well `expected` (a prefix or suffix) matches `actual`, the text in its place, in [0, 1]:
 * 1 minus the edits of its best approximate occurrence there, per character. A selector
 * without that context scores 1: nothing contradicts the candidate.
 */
export function contextScore(actual: string, expected: string | null | undefined): number {
  if (!expected) return 1;
  if (!actual) return 0;
  const [best] = approxSearch(actual, expected, expected.length);
  return best ? 1 - best.errors / expected.length : 0;
}

function candidates(text: string, quote: string, maxErrors: number): Array<{ start: number; end: number; errors: number }> {
  const exact: Array<{ start: number; end: number; errors: number }> = [];
  for (let i = text.indexOf(quote); i !== -1; i = text.indexOf(quote, i + 1)) exact.push({ start: i, end: i + quote.length, errors: 0 });
  if (exact.length > 0 || maxErrors < 1) return exact;
  // Myers' bit-parallel search; it returns only the matches with the fewest edits.
  return approxSearch(text, quote, maxErrors);
}

function score(text: string, quote: string, m: { start: number; end: number; errors: number }, context: QuoteContext): number {
  const prefixLength = context.prefix?.length ?? 0;
  const suffixLength = context.suffix?.length ?? 0;
  const quoteScore = 1 - m.errors / quote.length;
  const prefixScore = contextScore(text.slice(Math.max(0, m.start - prefixLength), m.start), context.prefix);
  const suffixScore = contextScore(text.slice(m.end, m.end + suffixLength), context.suffix);
  const hint = context.hint;
  const positionScore = typeof hint === "number" ? Math.max(0, 1 - Math.abs(m.start - hint) / Math.max(1, text.length)) : 1;
  return (WEIGHTS.quote * quoteScore + WEIGHTS.prefix * prefixScore + WEIGHTS.suffix * suffixScore + WEIGHTS.position * positionScore) / TOTAL;
}

/**
 * The best place for `quote` in `text`: among its exact occurrences if there are any, else
 * among its approximate ones with at most `maxErrors` edits; null when there is neither.
 */
export function matchQuote(text: string, quote: string, context: QuoteContext, maxErrors: number): QuoteMatch | null {
  if (!quote) return null;
  let best: QuoteMatch | null = null;
  for (const m of candidates(text, quote, maxErrors)) {
    const s = score(text, quote, m, context);
    // Ties keep the earlier occurrence.
    if (!best || s > best.score) best = { ...m, score: s };
  }
  return best;
}
