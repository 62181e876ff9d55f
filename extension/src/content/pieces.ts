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
