// Generated from shared/schemas/*.schema.json by scripts/api-types.mjs: do not edit.
// To change a shape, change the server's pydantic model, run `make schemas`, then
// `cd extension && npm run api-types`; `npm test` and `make extension` fail while this file is stale.

/**
 * Any of the shapes in shared/schemas/.
 */
export type ServerShape =
  | AnnotateRequest
  | AnnotateResponse
  | AnnotationPage
  | Annotation
  | Card
  | CollectionPage
  | Collection
  | Glossary
  | Invitation
  | Me
  | Problem
  | Team
  | Term
  | Token;
export type Role = "owner" | "editor" | "viewer";

export interface AnnotateRequest {
  /**
   * Default: every glossary of the caller's teams.
   */
  glossary_ids?: string[] | null;
  /**
   * Default: all three.
   */
  include?: ("entities" | "terms" | "related")[] | null;
  /**
   * The unit of start/end in the response.
   */
  offsets?: "utf16" | "codepoint";
  /**
   * `visible`: text on the reader's screen, read before any `background` text (the rest of a long page, sent after). Of a long visible text, only the first blocks count as visible.
   */
  priority?: "visible" | "background";
  related_limit?: number;
  /**
   * The page's visible text. Over the server's limit: 413.
   */
  text: string;
  title?: string | null;
  /**
   * The page's URL.
   */
  url?: string | null;
}
export interface AnnotateResponse {
  elapsed_ms: number;
  entities: Entity[];
  model: ModelInfo;
  offsets: "utf16" | "codepoint";
  /**
   * Glossaries whose newest version is still being prepared: `terms` has their `served_version`. Ask again later for the newest. Empty as a rule.
   */
  pending_glossaries?: PendingGlossary[];
  related: RelatedArticle[];
  terms: TermHit[];
  text_sha256: string;
}
export interface Entity {
  end: number;
  /**
   * The name's identity across pages; pass to the card route.
   */
  key: string;
  /**
   * spaCy's OntoNotes label: PERSON, ORG, GPE, ...
   */
  label: string;
  start: number;
  text: string;
}
export interface ModelInfo {
  name: string;
  version: string;
}
/**
 * A glossary whose newest version the server is still preparing (a large glossary is
 * compiled in the background).
 */
export interface PendingGlossary {
  glossary_id: string;
  /**
   * The version whose terms this answer has; null: none of its terms yet.
   */
  served_version: number | null;
  /**
   * The glossary's newest version, not yet applied.
   */
  version: number;
}
/**
 * A stored article related to a page, an article, an entity or a term.
 */
export interface RelatedArticle {
  article_id: string;
  /**
   * Stored copies of the same story grouped into this one (not listed).
   */
  duplicates?: number;
  published_at: string | null;
  /**
   * Why it is related, in a few words: "same story", "shares DeepSeek, Nvidia", "close in meaning", "similar wording", "about Nvidia" (a subject's list).
   */
  reason?: string;
  score: number;
  snippet: string;
  title: string;
  url: string;
}
export interface TermHit {
  definition: string;
  end: number;
  glossary_id: string;
  start: number;
  term: string;
  term_id: string;
  text: string;
  url: string | null;
}
export interface AnnotationPage {
  items: Annotation[];
  /**
   * Pass as `cursor` for the next page.
   */
  next_cursor?: string | null;
}
/**
 * One stored annotation (W3C Web Annotation JSON-LD), as GET, POST and search answer it.
 */
export interface Annotation {
  "@context": string;
  /**
   * The note, then one body a tag.
   */
  body?: TextualBody[] | null;
  /**
   * The client's canonical IRI, as sent.
   */
  canonical?: string | null;
  /**
   * Gloss's extension property: the colour.
   */
  color?: string | null;
  created: string;
  creator?: AnnotationCreator | null;
  /**
   * The annotation's IRI.
   */
  id: string;
  modified: string;
  motivation: "highlighting" | "commenting";
  /**
   * As it was sent: a SpecificResource, or the page's IRI alone.
   */
  target: AnnotationTarget | string;
  type: "Annotation";
  /**
   * The id the client's document had, as sent.
   */
  via?: string | null;
}
export interface TextualBody {
  format?: "text/plain" | null;
  purpose: "commenting" | "tagging";
  type: "TextualBody";
  value: string;
}
export interface AnnotationCreator {
  id: string;
  name?: string | null;
  nickname: string;
  type: "Person";
}
export interface AnnotationTarget {
  selector?: (TextQuoteSelector | TextPositionSelector)[] | null;
  /**
   * The page's URL.
   */
  source: string;
  /**
   * Gloss's extension property: the page's title.
   */
  title?: string | null;
  type: "SpecificResource";
}
export interface TextQuoteSelector {
  exact: string;
  prefix?: string | null;
  suffix?: string | null;
  type: "TextQuoteSelector";
}
export interface TextPositionSelector {
  end: number;
  /**
   * UTF-16 offset into the page's text, as the browser counts.
   */
  start: number;
  type: "TextPositionSelector";
}
/**
 * What the hover card shows for one term or entity.
 */
export interface Card {
  kind: "term" | "entity";
  /**
   * For an entity: what the team's stored articles say of it.
   */
  knowledge?: SubjectKnowledge | null;
  /**
   * The entity label, for an entity.
   */
  label?: string | null;
  /**
   * Stored articles about the subject (never the page itself); may be empty.
   */
  related: RelatedArticle[];
  /**
   * The glossary entry (for a term, or an entity the glossary knows).
   */
  term?: CardTerm | null;
  title: string;
}
/**
 * What the team's stored articles say about one entity or term.
 */
export interface SubjectKnowledge {
  /**
   * The names it most often appears with.
   */
  appears_with: CoMention[];
  /**
   * Stored articles naming it (copies counted once).
   */
  article_count: number;
  /**
   * The latest few of them, newest first.
   */
  latest: ArticleRef[];
  /**
   * A sentence from the store that names it, from the article naming it most.
   */
  sentence: NamingSentence | null;
}
/**
 * A name that stored articles often give beside the subject.
 */
export interface CoMention {
  /**
   * How many of the sampled articles name both.
   */
  articles: number;
  key: string;
  label: string | null;
  text: string;
}
/**
 * A stored article as a card names it.
 */
export interface ArticleRef {
  article_id: string;
  published_at: string | null;
  source: string | null;
  title: string;
  url: string;
}
/**
 * A sentence of a stored article that names the subject.
 */
export interface NamingSentence {
  article: ArticleRef;
  text: string;
}
export interface CardTerm {
  aliases: string[];
  definition: string;
  entity_label: string | null;
  glossary_id: string;
  glossary_name: string;
  tags: string[];
  term: string;
  term_id: string;
  url: string | null;
}
export interface CollectionPage {
  items: Collection[];
  /**
   * Pass as `cursor` for the next page.
   */
  next_cursor?: string | null;
}
export interface Collection {
  /**
   * The W3C Web Annotation Protocol container.
   */
  annotations_url: string;
  /**
   * Whether the caller may rename, move or delete it.
   */
  can_manage: boolean;
  created_at: string;
  id: string;
  name: string;
  /**
   * Who created the collection.
   */
  owner_id: string;
  /**
   * Only its owner sees a private collection.
   */
  private: boolean;
  /**
   * The caller's role for this collection.
   */
  role: Role;
  team_id: string | null;
  /**
   * How many annotations it holds.
   */
  total: number;
  updated_at: string;
}
export interface Glossary {
  created_at: string;
  description?: string | null;
  id: string;
  name: string;
  team_id: string;
  term_count: number;
  updated_at: string;
  /**
   * Changes with every edit of the glossary or its terms.
   */
  version: number;
}
/**
 * An invitation to join a team: nothing of the team reaches the invited user until they
 * accept it.
 */
export interface Invitation {
  created_at: string;
  id: string;
  /**
   * The name of the owner who invited them.
   */
  invited_by: string | null;
  role: Role;
  team_id: string;
  team_name: string;
  /**
   * The invited user's name.
   */
  user: string;
}
export interface Me {
  display_name: string | null;
  id: string;
  name: string;
  teams: TeamMembershipOut[];
}
export interface TeamMembershipOut {
  id: string;
  name: string;
  role: Role;
}
export interface Problem {
  /**
   * What went wrong, for a person.
   */
  detail: string;
  /**
   * What was wrong, item by item: field errors of a 422 (`loc`, `msg`, `type`), or the bad rows of a rejected import (`line`, `field`, `message`).
   */
  errors?:
    | {
        [k: string]: unknown | undefined;
      }[]
    | null;
  instance?: string | null;
  status: number;
  title: string;
  /**
   * A stable URI naming the kind of problem.
   */
  type: string;
  [k: string]: unknown | undefined;
}
export interface Team {
  created_at: string;
  id: string;
  name: string;
  /**
   * The caller's role in the team.
   */
  role: Role;
}
export interface Term {
  /**
   * @maxItems 50
   */
  aliases?: string[];
  case_sensitive?: boolean;
  created_at: string;
  created_by: string | null;
  definition?: string;
  /**
   * An OntoNotes label (ORG, PERSON, GPE...) the annotator gives this name.
   */
  entity_label?: string | null;
  glossary_id: string;
  id: string;
  /**
   * @maxItems 20
   */
  tags?: string[];
  term: string;
  updated_at: string;
  updated_by: string | null;
  url?: string | null;
  version: number;
}
export interface Token {
  created_at: string;
  expires_at: string | null;
  id: string;
  last_used_at: string | null;
  /**
   * What the token is for.
   */
  name: string;
  /**
   * The first characters of the token, to recognise it.
   */
  prefix: string;
  revoked_at: string | null;
}
