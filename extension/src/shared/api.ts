// What the extension sends that is not a pydantic model: the card route's query, a new annotation.
import type { Annotation } from "./api.gen";

/** The query of `GET /v1/annotate/card` (server/gloss/annotate/routes.py `card`). */
export type CardQuery = { kind: "term"; term_id: string } | { kind: "entity"; key: string; label: string; text: string };

/** A W3C annotation as POSTed to a collection's container: the server assigns the rest. */
export type NewAnnotation = Omit<Annotation, "id" | "created" | "modified" | "creator">;
