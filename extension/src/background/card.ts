// Hover-card data: the server's card route, normalised; fallbacks when a route is missing.
import type { Reply } from "../shared/messages";
import type { CardData, RelatedArticle, Settings } from "../shared/types";
import { listItems, request } from "./api";

function str(v: unknown): string | null {
  return typeof v === "string" && v ? v : null;
}

function strings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return v
    .map((x) => (typeof x === "string" ? x : x && typeof x === "object" ? str((x as Record<string, unknown>).text ?? (x as Record<string, unknown>).summary ?? (x as Record<string, unknown>).title) : null))
    .filter((x): x is string => !!x);
}

/** Accept the card route's fields under the names it is likely to use. */
export function normaliseCard(kind: "term" | "entity", raw: unknown): CardData {
  const d = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
  const term = (d.term && typeof d.term === "object" ? d.term : d) as Record<string, unknown>;
  const entity = (d.entity && typeof d.entity === "object" ? d.entity : d) as Record<string, unknown>;
  const glossary = d.glossary && typeof d.glossary === "object" ? str((d.glossary as Record<string, unknown>).name) : str(d.glossary_name ?? d.glossary);
  const related = listItems<RelatedArticle>(d.related);
  if (kind === "term") {
    return {
      kind,
      title: str(term.term ?? term.name ?? term.text ?? d.title) ?? "",
      subtitle: null,
      definition: str(term.definition),
      aliases: strings(term.aliases),
      link: str(term.url ?? term.link),
      glossary: glossary ?? str(term.glossary_name),
      knowledge: strings(d.knowledge ?? d.notes),
      related,
    };
  }
  // An entity the team's glossary knows carries its entry under `term`.
  const known = d.term && typeof d.term === "object" ? (d.term as Record<string, unknown>) : null;
  const knowledge = [...strings(d.knowledge ?? entity.knowledge), ...strings(d.notes), ...strings(d.facts)];
  const description = str(entity.description ?? d.description ?? entity.definition) ?? str(known?.definition);
  return {
    kind,
    title: str(d.title ?? entity.text ?? entity.name ?? d.text) ?? "",
    subtitle: str(entity.label ?? d.label ?? known?.entity_label),
    definition: description,
    aliases: strings(known?.aliases ?? entity.aliases),
    link: str(known?.url ?? entity.url),
    glossary: str(known?.glossary_name),
    knowledge,
    related,
  };
}

export async function fetchCard(settings: Settings, kind: "term" | "entity", params: Record<string, string>): Promise<Reply<CardData>> {
  const query = new URLSearchParams({ kind, ...params });
  const reply = await request<unknown>(settings, "GET", `/v1/annotate/card?${query}`);
  if (reply.ok) return { ok: true, value: normaliseCard(kind, reply.value) };
  if (reply.error.kind !== "not-found" || kind !== "term" || !params.glossary_id || !params.term_id) return reply;
  // No card route on this server: the term and its glossary from the resource routes.
  const [term, glossary] = await Promise.all([
    request<unknown>(settings, "GET", `/v1/glossaries/${encodeURIComponent(params.glossary_id)}/terms/${encodeURIComponent(params.term_id)}`),
    request<{ name?: string }>(settings, "GET", `/v1/glossaries/${encodeURIComponent(params.glossary_id)}`),
  ]);
  if (!term.ok) return term;
  const card = normaliseCard("term", term.value);
  if (glossary.ok && glossary.value?.name) card.glossary = glossary.value.name;
  return { ok: true, value: card };
}
