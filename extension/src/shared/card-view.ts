// What a hover card shows: from the server's Card, or from the annotate answer when that fails.
import type { Card, Entity, SubjectKnowledge, TermHit } from "./api.gen";

export interface CardView {
  kind: "term" | "entity";
  title: string;
  /** The entity's label (ORG, GPE, ...). */
  label: string | null;
  definition: string | null;
  aliases: string[];
  link: string | null;
  glossary: string | null;
  /** For an entity: what the team's stored articles say of it (null when unknown). */
  knowledge: SubjectKnowledge | null;
  related: Card["related"];
}

export function viewOfCard(card: Card): CardView {
  const entry = card.term ?? null;
  return {
    kind: card.kind,
    title: card.title,
    label: card.kind === "entity" ? (card.label ?? null) : null,
    definition: entry?.definition || null,
    aliases: entry?.aliases ?? [],
    link: entry?.url ?? null,
    glossary: entry?.glossary_name ?? null,
    knowledge: card.knowledge ?? null,
    related: card.related,
  };
}

/**
 * The card when the card route cannot answer (the server went away after annotating): what the
 * annotate answer said about this hit, and no related articles, since the page's related
 * articles are not about this name or term.
 */
export function viewOfTermHit(t: TermHit): CardView {
  return { kind: "term", title: t.term || t.text, label: null, definition: t.definition || null, aliases: [], link: t.url, glossary: null, knowledge: null, related: [] };
}

export function viewOfEntity(e: Entity): CardView {
  return { kind: "entity", title: e.text, label: e.label, definition: null, aliases: [], link: null, glossary: null, knowledge: null, related: [] };
}
