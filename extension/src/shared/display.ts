// What the reader chose to see highlighted: which kinds of names and terms, first mentions or all.

/** The kinds a reader switches on and off in the popup. */
export type MentionKind = "person" | "org" | "place" | "other" | "norp" | "term";

export const MENTION_KINDS: ReadonlyArray<{ kind: MentionKind; label: string; hint: string }> = [
  { kind: "person", label: "People", hint: "PERSON" },
  { kind: "org", label: "Organisations", hint: "ORG" },
  { kind: "place", label: "Places", hint: "GPE, LOC, FAC" },
  { kind: "other", label: "Other names", hint: "products, events, laws…" },
  { kind: "norp", label: "Nationalities and groups", hint: "NORP" },
  { kind: "term", label: "Glossary terms", hint: "the team's glossaries" },
];

export interface Display {
  /** Only the first mention of each name (by entity key) and term (by term id), in reading order. */
  firstOnly: boolean;
  kinds: Record<MentionKind, boolean>;
}

/** A calm page by default: each name and term once; nationalities and groups off. */
export const DEFAULT_DISPLAY: Display = {
  firstOnly: true,
  kinds: { person: true, org: true, place: true, other: true, norp: false, term: true },
};

/** The kind of an entity, from its spaCy OntoNotes label. */
export function kindOfLabel(label: string): MentionKind {
  switch (label) {
    case "PERSON":
      return "person";
    case "ORG":
      return "org";
    case "GPE":
    case "LOC":
    case "FAC":
      return "place";
    case "NORP":
      return "norp";
    default:
      return "other";
  }
}

/** A stored or sent display made whole: unknown fields dropped, missing ones from the defaults. */
export function normaliseDisplay(value: unknown): Display {
  const v = (typeof value === "object" && value !== null ? value : {}) as { firstOnly?: unknown; kinds?: unknown };
  const kinds = { ...DEFAULT_DISPLAY.kinds };
  const given = (typeof v.kinds === "object" && v.kinds !== null ? v.kinds : {}) as Record<string, unknown>;
  for (const k of Object.keys(kinds) as MentionKind[]) if (typeof given[k] === "boolean") kinds[k] = given[k];
  return { firstOnly: typeof v.firstOnly === "boolean" ? v.firstOnly : DEFAULT_DISPLAY.firstOnly, kinds };
}
