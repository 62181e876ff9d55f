// Convert between offsets in the extracted text (UTF-16, the server's answer too) and DOM positions.
import type { Extraction, Segment } from "./extract";

export interface DomPoint {
  node: Text;
  offset: number;
}

/** Index of the segment containing `offset` (a start prefers the segment it begins). */
export function segmentIndexAt(segments: Segment[], offset: number, preferEnd = false): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = segments[mid]!;
    if (preferEnd ? offset <= s.start : offset < s.start) hi = mid - 1;
    else if (preferEnd ? offset > s.end : offset >= s.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** The DOM point for a text offset; offsets in the virtual block breaks snap to the next node. */
export function toDomPoint(ex: Extraction, offset: number, isEnd = false): DomPoint | null {
  const segs = ex.segments;
  if (segs.length === 0) return null;
  const i = segmentIndexAt(segs, offset, isEnd);
  if (i >= 0) {
    const s = segs[i]!;
    return { node: s.node, offset: offset - s.start };
  }
  // In a separator: a start moves forward to the next segment, an end moves back.
  let lo = 0;
  let hi = segs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (segs[mid]!.start < offset) lo = mid + 1;
    else hi = mid;
  }
  if (isEnd) {
    const prev = segs[lo - 1];
    return prev ? { node: prev.node, offset: prev.end - prev.start } : null;
  }
  const next = segs[lo];
  return next ? { node: next.node, offset: 0 } : null;
}

/** A DOM Range for [start, end) of the extracted text, or null when it maps to nothing. */
export function toRange(ex: Extraction, start: number, end: number, doc: Document): Range | null {
  if (end <= start) return null;
  const a = toDomPoint(ex, start, false);
  const b = toDomPoint(ex, end, true);
  if (!a || !b) return null;
  const range = doc.createRange();
  try {
    range.setStart(a.node, a.offset);
    range.setEnd(b.node, b.offset);
  } catch {
    return null;
  }
  if (range.collapsed) return null;
  return range;
}

/** The text offset of a DOM point, when the node is one we extracted. */
export function fromDomPoint(index: Map<Text, number>, ex: Extraction, node: Node, offset: number): number | null {
  if (node.nodeType !== 3) return null;
  const i = index.get(node as Text);
  if (i === undefined) return null;
  const s = ex.segments[i]!;
  return s.start + Math.min(offset, s.end - s.start);
}

export function nodeIndex(ex: Extraction): Map<Text, number> {
  const m = new Map<Text, number>();
  ex.segments.forEach((s, i) => m.set(s.node, i));
  return m;
}

/**
 * Whether [start, end) lies in one block: its segments follow each other with no block break
 * between them (a span in a break itself is in no block).
 */
export function withinOneBlock(ex: Extraction, start: number, end: number): boolean {
  const segs = ex.segments;
  const i = segmentIndexAt(segs, start, false);
  const j = segmentIndexAt(segs, end, true);
  if (i < 0 || j < 0 || j < i) return false;
  for (let k = i; k < j; k++) if (segs[k]!.end !== segs[k + 1]!.start) return false;
  return true;
}
