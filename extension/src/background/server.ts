// The server routes the extension uses, typed by the shapes generated from shared/schemas/.
import type { CardQuery, NewAnnotation } from "../shared/api";
import type { AnnotateRequest, AnnotateResponse, Annotation, AnnotationPage, Card, Collection, CollectionPage, Invitation, Me, Team } from "../shared/api.gen";
import type { Reply } from "../shared/messages";
import type { Settings } from "../shared/types";
import { annotationBody } from "../shared/annotation";
import { allPages, apiUrl, request, requestWithHeaders, TIMEOUT_MS } from "./api";

/** Spans come back in UTF-16 offsets, the unit asked for: the browser's own, so nothing converts. */
export function annotate(
  settings: Settings,
  text: string,
  url: string,
  title: string,
  include?: AnnotateRequest["include"],
  priority?: AnnotateRequest["priority"],
): Promise<Reply<AnnotateResponse>> {
  const body: AnnotateRequest = { text, url, title, offsets: "utf16", ...(include ? { include } : {}), ...(priority ? { priority } : {}) };
  return request<AnnotateResponse>(settings, "POST", "/v1/annotate", body, TIMEOUT_MS.annotate);
}

export function card(settings: Settings, query: CardQuery): Promise<Reply<Card>> {
  return request<Card>(settings, "GET", `/v1/annotate/card?${new URLSearchParams(query)}`);
}

export function me(settings: Settings): Promise<Reply<Me>> {
  return request<Me>(settings, "GET", "/v1/me");
}

export function collections(settings: Settings): Promise<Reply<Collection[]>> {
  return allPages<CollectionPage>(settings, "/v1/collections");
}

export function createCollection(settings: Settings, name: string, teamId: string | null): Promise<Reply<Collection>> {
  return request<Collection>(settings, "POST", "/v1/collections", teamId ? { name, team_id: teamId } : { name });
}

/**
 * The server path of an annotation's IRI, only when the IRI is on the configured server: the token
 * is never sent anywhere else, whatever a stored annotation says its id is.
 */
export function annotationPath(settings: Settings, iri: string): string | null {
  const base = apiUrl(settings, "/v1/collections/");
  if (!iri.startsWith(base)) return null;
  const path = iri.slice(apiUrl(settings, "").length);
  return /^\/v1\/collections\/[^/?#]+\/annotations\/[^/?#]+$/.test(path) ? path : null;
}

const NOT_OURS = { ok: false, error: { kind: "not-found", message: "This highlight is not on your Gloss server" } } as const;

export async function getAnnotation(settings: Settings, iri: string): Promise<Reply<{ body: Annotation; etag: string | null }>> {
  const path = annotationPath(settings, iri);
  if (!path) return NOT_OURS;
  return requestWithHeaders<Annotation>(settings, "GET", path);
}

/** Replace a highlight's note, tags and colour (the W3C protocol's PUT, with the ETag read first). */
export async function updateAnnotation(settings: Settings, iri: string, change: { note: string; tags: string[]; color: string }): Promise<Reply<Annotation>> {
  const path = annotationPath(settings, iri);
  if (!path) return NOT_OURS;
  const current = await requestWithHeaders<Annotation>(settings, "GET", path);
  if (!current.ok) return current;
  const doc: Annotation = { ...current.value.body, ...annotationBody(change.note, change.tags), color: change.color };
  const headers: Record<string, string> = current.value.etag ? { "If-Match": current.value.etag } : {};
  const reply = await requestWithHeaders<Annotation>(settings, "PUT", path, doc, { headers });
  return reply.ok ? { ok: true, value: reply.value.body } : reply;
}

export async function deleteAnnotation(settings: Settings, iri: string): Promise<Reply<null>> {
  const path = annotationPath(settings, iri);
  if (!path) return NOT_OURS;
  return request<null>(settings, "DELETE", path);
}

export function createAnnotation(settings: Settings, collectionId: string, annotation: NewAnnotation): Promise<Reply<Annotation>> {
  return request<Annotation>(settings, "POST", `/v1/collections/${encodeURIComponent(collectionId)}/annotations/`, annotation);
}

/** The caller's visible highlights on a page, across their collections. */
export function annotationsOn(settings: Settings, url: string): Promise<Reply<Annotation[]>> {
  return allPages<AnnotationPage>(settings, `/v1/annotations?url=${encodeURIComponent(url)}`);
}

/** Invitations waiting for the reader: nothing of those teams reaches them until they accept. */
export function invitations(settings: Settings): Promise<Reply<Invitation[]>> {
  return request<Invitation[]>(settings, "GET", "/v1/invitations");
}

export function acceptInvitation(settings: Settings, id: string): Promise<Reply<Team>> {
  return request<Team>(settings, "POST", `/v1/invitations/${encodeURIComponent(id)}/accept`);
}

export function declineInvitation(settings: Settings, id: string): Promise<Reply<null>> {
  return request<null>(settings, "POST", `/v1/invitations/${encodeURIComponent(id)}/decline`);
}
