// The server routes the extension uses, typed by the shapes generated from shared/schemas/.
import type { CardQuery, NewAnnotation } from "../shared/api";
import type { AnnotateRequest, AnnotateResponse, Annotation, AnnotationPage, Card, Collection, CollectionPage, Invitation, Team } from "../shared/api.gen";
import type { Reply } from "../shared/messages";
import type { Settings } from "../shared/types";
import { allPages, request, TIMEOUT_MS } from "./api";

/** Spans come back in UTF-16 offsets, the unit asked for: the browser's own, so nothing converts. */
export function annotate(settings: Settings, text: string, url: string, title: string): Promise<Reply<AnnotateResponse>> {
  const body: AnnotateRequest = { text, url, title, offsets: "utf16" };
  return request<AnnotateResponse>(settings, "POST", "/v1/annotate", body, TIMEOUT_MS.annotate);
}

export function card(settings: Settings, query: CardQuery): Promise<Reply<Card>> {
  return request<Card>(settings, "GET", `/v1/annotate/card?${new URLSearchParams(query)}`);
}

export function collections(settings: Settings): Promise<Reply<Collection[]>> {
  return allPages<CollectionPage>(settings, "/v1/collections");
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
