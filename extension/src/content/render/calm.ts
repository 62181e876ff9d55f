// Which entity and term spans to draw, given the answers, the reader's kinds and first-mention mode.
import type { Entity, TermHit } from "../../shared/api.gen";
import { type Display, kindOfLabel } from "../../shared/display";
import type { DrawSpan } from "./spans";

/** One annotated piece of the page, in reading order: its spans and the answer they index into. */
export interface CalmInput {
  spans: readonly DrawSpan[];
  answer: { entities: readonly Entity[]; terms: readonly TermHit[] };
}

/**
 * The spans to draw for each piece, in the same order as `pieces`. A span's identity is its
 * entity `key` or its term's `term_id`; in first-mention mode only the earliest span of each
 * identity across all pieces is kept. Saved highlights are not ours to filter and pass through.
 */
export function visibleSpans(pieces: readonly CalmInput[], display: Display, names: PageNames = pageNames(pieces)): DrawSpan[][] {
  const seen = new Set<string>();
  return pieces.map(({ spans, answer }) => {
    // Stable: spans that start together keep the order spansFromAnswer gave them (priority first).
    const ordered = [...spans].sort((a, b) => a.start - b.start);
    const out: DrawSpan[] = [];
    for (const span of ordered) {
      if (span.kind === "saved") {
        out.push(span);
        continue;
      }
      const id = identity(span, answer, names);
      if (!id || !display.kinds[id.kind]) continue;
      if (display.firstOnly) {
        if (seen.has(id.key)) continue;
        seen.add(id.key);
      }
      out.push(span);
    }
    return out;
  });
}

/** How the page names things when it was sent in pieces: one key and one label per name. */
export interface PageNames {
  /** A name's key as one piece's answer gave it, to the page's key for it. */
  keys: ReadonlyMap<string, string>;
  /** The page's key to its one label. */
  labels: ReadonlyMap<string, string>;
}

const words = (key: string) => key.split(/\s+/).filter(Boolean);

/**
 * What the server does within one text, across the pieces of a page: a surname alone is the
 * person named in full elsewhere on the page ("Obama" and "Barack Obama"), a brand's first word
 * the brand, when only one full name fits; and one label per name, the one most of its mentions
 * carry (the earliest mention's on a tie).
 */
export function pageNames(pieces: readonly CalmInput[]): PageNames {
  const mentions = pieces.flatMap(({ answer }) => [...answer.entities].sort((a, b) => a.start - b.start));
  const full = { PERSON: new Map<string, Set<string>>(), ORG: new Map<string, Set<string>>() };
  for (const e of mentions) {
    const w = words(e.key);
    if (w.length < 2) continue;
    if (e.label === "PERSON") full.PERSON.set(w[w.length - 1]!, (full.PERSON.get(w[w.length - 1]!) ?? new Set()).add(e.key));
    if (e.label === "ORG") full.ORG.set(w[0]!, (full.ORG.get(w[0]!) ?? new Set()).add(e.key));
  }
  const keys = new Map<string, string>();
  for (const e of mentions) {
    if (words(e.key).length !== 1 || keys.has(e.key)) continue;
    const as = (e.label === "ORG" ? full.ORG : full.PERSON).get(e.key);
    if (as && as.size === 1) keys.set(e.key, [...as][0]!);
  }
  const votes = new Map<string, Map<string, number>>();
  for (const e of mentions) {
    const key = keys.get(e.key) ?? e.key;
    const counts = votes.get(key) ?? new Map<string, number>();
    counts.set(e.label, (counts.get(e.label) ?? 0) + 1);
    votes.set(key, counts);
  }
  const labels = new Map<string, string>();
  for (const [key, counts] of votes) {
    let best = "";
    let most = 0;
    // Map order is first-seen order, so a tie keeps the earliest label.
    for (const [label, n] of counts) {
      if (n > most) {
        best = label;
        most = n;
      }
    }
    labels.set(key, best);
  }
  return { keys, labels };
}

function identity(span: DrawSpan, answer: CalmInput["answer"], names: PageNames): { kind: keyof Display["kinds"]; key: string } | null {
  const index = Number(span.ref.slice(span.ref.indexOf(":") + 1));
  if (span.kind === "term") {
    const hit = answer.terms[index];
    return hit ? { kind: "term", key: `term:${hit.term_id}` } : null;
  }
  const entity = answer.entities[index];
  if (!entity) return null;
  const key = names.keys.get(entity.key) ?? entity.key;
  return { kind: kindOfLabel(names.labels.get(key) ?? entity.label), key: `entity:${key}` };
}
