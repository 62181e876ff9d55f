// What the extension sends that is not a pydantic model: the card route's query, a new annotation.
import type { Annotation, AnnotationTarget } from "./api.gen";

/**
 * The query of `GET /v1/annotate/card` (server/gloss/annotate/routes.py `card`); `url` is the page
 * the reader is on, which the card never lists as related to itself.
 */
export type CardQuery = ({ kind: "term"; term_id: string } | { kind: "entity"; key: string; label: string; text: string }) & { url: string };

/**
 * A W3C annotation as the extension POSTs it to a collection's container (always with a
 * SpecificResource target and selectors): the server assigns the rest.
 */
export type NewAnnotation = Omit<Annotation, "id" | "created" | "modified" | "creator" | "canonical" | "via" | "target"> & { target: AnnotationTarget };
