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
export function visibleSpans(pieces: readonly CalmInput[], display: Display): DrawSpan[][] {
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
      const id = identity(span, answer);
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

function identity(span: DrawSpan, answer: CalmInput["answer"]): { kind: keyof Display["kinds"]; key: string } | null {
  const index = Number(span.ref.slice(span.ref.indexOf(":") + 1));
  if (span.kind === "term") {
    const hit = answer.terms[index];
    return hit ? { kind: "term", key: `term:${hit.term_id}` } : null;
  }
  const entity = answer.entities[index];
  return entity ? { kind: kindOfLabel(entity.label), key: `entity:${entity.key}` } : null;
}
