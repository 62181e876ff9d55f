// The page's text in pieces: whole blocks, small enough that the first answer comes back at once,
// sent in the order the reader needs them (what is on screen first, then reading order).
import { BLOCK_BREAK, type Extraction } from "./extract/extract";

/** [start, end) of the extraction's text, whole blocks only. */
export interface Piece {
  start: number;
  end: number;
  /** On screen or within a screen below it when last ordered: the server reads it first. */
  visible?: boolean;
}

/**
 * Cut the text at block breaks into pieces of at most `maxChars` (a block longer than that is a
 * piece of its own: a name never spans two pieces, since no span crosses a block).
 */
export function splitIntoPieces(text: string, maxChars: number): Piece[] {
  const blocks: Piece[] = [];
  let at = 0;
  while (at <= text.length) {
    const brk = text.indexOf(BLOCK_BREAK, at);
    const end = brk === -1 ? text.length : brk;
    if (/\S/.test(text.slice(at, end))) blocks.push({ start: at, end });
    if (brk === -1) break;
    at = brk + BLOCK_BREAK.length;
  }
  const pieces: Piece[] = [];
  for (const block of blocks) {
    const current = pieces[pieces.length - 1];
    if (current && block.end - current.start <= maxChars) current.end = block.end;
    else pieces.push({ ...block });
  }
  return pieces;
}

/**
 * The order to send pieces in: those on screen or within one screen below it first, top to
 * bottom (the first list); then the rest in reading order (the second). `tops[i]` is piece i's
 * top in viewport coordinates (NaN when unknown, which sorts with the rest).
 */
export function nearAndRest(tops: readonly number[], bottoms: readonly number[], viewportHeight: number): [number[], number[]] {
  const near: number[] = [];
  const rest: number[] = [];
  tops.forEach((top, i) => {
    const bottom = bottoms[i] ?? top;
    const visible = Number.isFinite(top) && bottom >= 0 && top <= viewportHeight * 2;
    (visible ? near : rest).push(i);
  });
  near.sort((a, b) => tops[a]! - tops[b]!);
  return [near, rest];
}

/** About 300 words: the first answer comes back in tens of milliseconds. */
export const PIECE_CHARS = 2000;
/** Requests in flight for a long article: the first screen's answers come back while the rest
 * wait their turn here, where the reader's scrolling can still reorder them. */
const IN_FLIGHT = 2;
/** About 1,300 words: an article this short is sent as a short one (see sendPlan). */
export const SHORT_ARTICLE_CHARS = 8000;

/** The requests to send, in order, and how many of them at once. */
export interface SendPlan {
  queue: Piece[];
  inFlight: number;
}

/**
 * How an article's pieces are sent, given which are near the screen (`near`, top down) and which
 * are not (`rest`, in reading order), as nearAndRest gives them.
 *
 * A long article: piece by piece, the near ones first as "visible" text, the rest as
 * "background" (its tail, which the server reads after every reader's screen), two at a time.
 *
 * A short article (at most SHORT_ARTICLE_CHARS) has no tail: its first piece goes on its own, so
 * its first answer comes back as a long article's does, and with it the rest, in one request
 * per run of adjacent pieces (one, unless the reader is part way down), all at once and all
 * visible. Each request costs the server a token check, a document pass and an answer, and the
 * worker a round trip: a short article's four pieces in twos were answered well after the same
 * page sent whole. (The server also reads a short page sent whole as visible text:
 * SHORT_PAGE_CHARS in server/gloss/annotate/service.py.)
 */
export function sendPlan(pieces: readonly Piece[], near: readonly number[], rest: readonly number[], articleChars: number): SendPlan {
  if (articleChars > SHORT_ARTICLE_CHARS) {
    return { queue: [...near.map((i) => ({ ...pieces[i]!, visible: true })), ...rest.map((i) => ({ ...pieces[i]!, visible: false }))], inFlight: IN_FLIGHT };
  }
  const order = [...near, ...rest];
  if (order.length === 0) return { queue: [], inFlight: 0 };
  const [first, ...others] = order as [number, ...number[]];
  // Runs of adjacent pieces, each sent as one, those with a piece nearer the screen first.
  const runs: number[][] = [];
  for (const i of [...others].sort((a, b) => a - b)) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1] === i - 1) run.push(i);
    else runs.push([i]);
  }
  const rank = (run: number[]) => Math.min(...run.map((i) => order.indexOf(i)));
  runs.sort((a, b) => rank(a) - rank(b));
  const merged = runs.map((run) => ({ start: pieces[run[0]!]!.start, end: pieces[run[run.length - 1]!]!.end, visible: true }));
  const queue = [{ ...pieces[first]!, visible: true }, ...merged];
  return { queue, inFlight: queue.length };
}

/** Where a piece is on screen: the box from its first text node's element to its last's. */
export function pieceBox(ex: Extraction, piece: Piece): { top: number; bottom: number } {
  const first = ex.segments.find((s) => s.end > piece.start);
  let last = first;
  for (const s of ex.segments) {
    if (s.start >= piece.end) break;
    if (s.end > piece.start) last = s;
  }
  const a = first?.node.parentElement?.getBoundingClientRect();
  const b = last?.node.parentElement?.getBoundingClientRect();
  return { top: a ? a.top : Number.NaN, bottom: b ? b.bottom : Number.NaN };
}
