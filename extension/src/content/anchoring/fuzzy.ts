// Approximate string matching: where does a pattern occur in a text with at most k edits.

export interface FuzzyMatch {
  start: number;
  end: number;
  errors: number;
}

/**
 * Sellers' algorithm (edit distance with a free start in the text), keeping Ukkonen's cut-off so
 * columns stop at the last row that can still be within `maxErrors`. Returns the best end
 * positions (each a local minimum of errors), with starts recovered by matching backwards.
 */
export function searchFuzzy(text: string, pattern: string, maxErrors: number): FuzzyMatch[] {
  const m = pattern.length;
  if (m === 0) return [];
  const k = Math.max(0, Math.min(maxErrors, m - 1));
  const ends: Array<{ end: number; errors: number }> = [];
  let col = new Int32Array(m + 1);
  for (let i = 0; i <= m; i++) col[i] = i;
  let next = new Int32Array(m + 1);
  let lastActive = Math.min(k + 1, m);
  for (let j = 0; j < text.length; j++) {
    const c = text.charCodeAt(j);
    next[0] = 0;
    const limit = Math.min(m, lastActive + 1);
    for (let i = 1; i <= limit; i++) {
      const cost = pattern.charCodeAt(i - 1) === c ? 0 : 1;
      const sub = col[i - 1]! + cost;
      const del = col[i]! + 1;
      const ins = next[i - 1]! + 1;
      next[i] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    for (let i = limit + 1; i <= m; i++) next[i] = k + 1;
    lastActive = limit;
    while (lastActive > 0 && next[lastActive]! > k) lastActive--;
    if (next[m]! <= k) ends.push({ end: j + 1, errors: next[m]! });
    const t = col;
    col = next;
    next = t;
  }
  // Keep local minima: a run of adjacent ends is one match.
  const best: Array<{ end: number; errors: number }> = [];
  let lastEnd = -2;
  for (const e of ends) {
    const prev = best[best.length - 1];
    if (prev && e.end - lastEnd <= 1) {
      // Within a run keep the fewest errors; on a tie the earlier end (no trailing insertions).
      if (e.errors < prev.errors) best[best.length - 1] = e;
    } else {
      best.push(e);
    }
    lastEnd = e.end;
  }
  return best.map(({ end, errors }) => ({ start: findStart(text, pattern, end, errors), end, errors }));
}

/** The start of a match ending at `end`: the one with the fewest edits, then closest to `m` long. */
function findStart(text: string, pattern: string, end: number, errors: number): number {
  const m = pattern.length;
  let best = Math.max(0, end - m);
  let bestCost = Number.POSITIVE_INFINITY;
  let bestSkew = Number.POSITIVE_INFINITY;
  for (let s = Math.max(0, end - m - errors); s <= end - Math.max(1, m - errors); s++) {
    const cost = editDistance(text.slice(s, end), pattern, errors + 1);
    const skew = Math.abs(end - s - m);
    if (cost < bestCost || (cost === bestCost && skew < bestSkew)) {
      bestCost = cost;
      bestSkew = skew;
      best = s;
    }
  }
  return best;
}

/** Levenshtein distance, stopping early at `cap` (returns cap when the distance is at least cap). */
export function editDistance(a: string, b: string, cap = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = new Int32Array(b.length + 1);
  let cur = new Int32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0]!;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j - 1]! + cost, prev[j]! + 1, cur[j - 1]! + 1);
      if (cur[j]! < rowMin) rowMin = cur[j]!;
    }
    if (rowMin >= cap) return cap;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return Math.min(prev[b.length]!, cap);
}

/** Similarity in [0, 1] of two short context strings, 1 when equal. */
export function similarity(a: string, b: string): number {
  if (!a && !b) return 1;
  const longest = Math.max(a.length, b.length);
  return 1 - editDistance(a, b) / longest;
}
