// Shapes of what the server answers (see docs/api in product.md) and of the state we keep.

export interface EntitySpan {
  start: number;
  end: number;
  text: string;
  label: string;
  key?: string;
}

export interface TermSpan {
  start: number;
  end: number;
  text: string;
  term_id: string;
  glossary_id: string;
  term: string;
  definition: string | null;
  url: string | null;
}

export interface RelatedArticle {
  article_id: string;
  url: string | null;
  title: string;
  snippet?: string | null;
  score?: number;
  published_at?: string | null;
}

export interface AnnotateResponse {
  offsets?: string;
  text_sha256?: string;
  entities: EntitySpan[];
  terms: TermSpan[];
  related: RelatedArticle[];
  elapsed_ms?: number;
}

/** What a hover card shows, normalised from the server's card route (or from the annotate answer). */
export interface CardData {
  kind: "term" | "entity";
  title: string;
  subtitle: string | null;
  definition: string | null;
  aliases: string[];
  link: string | null;
  glossary: string | null;
  knowledge: string[];
  related: RelatedArticle[];
}

export interface CollectionSummary {
  id: string;
  name: string;
}

export type SelectorJson =
  | { type: "TextQuoteSelector"; exact: string; prefix?: string; suffix?: string }
  | { type: "TextPositionSelector"; start: number; end: number }
  | { type: string; [key: string]: unknown };

export interface StoredAnnotation {
  id: string;
  target: { source?: string; selector?: SelectorJson[] } | Array<{ source?: string; selector?: SelectorJson[] }>;
  body?: unknown;
  [key: string]: unknown;
}

export type GlossState = "idle" | "annotating" | "annotated" | "error";

export interface Orphan {
  id: string;
  exact: string;
}

export interface PageStatus {
  state: GlossState;
  count: number;
  error?: { kind: string; message: string };
  orphans: Orphan[];
  anchored: number;
  url: string;
}

export interface Settings {
  serverUrl: string;
  token: string;
  sites: string[];
  /** Origins the reader turned off from the popup; they win over `sites`. */
  disabledOrigins: string[];
  lastCollection: string | null;
}

export interface ServerCheck {
  user: string;
  teams: string[];
}

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: "http://127.0.0.1:8000",
  token: "",
  sites: [],
  disabledOrigins: [],
  lastCollection: null,
};
