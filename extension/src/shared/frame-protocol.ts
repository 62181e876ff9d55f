// The private channel between the content script and the extension's own frame (frame.html).
//
// The content script creates a `chrome-extension://` iframe and hands it one end of a
// MessageChannel together with a one-time nonce it got from the service worker. The frame asks the
// worker to confirm the nonce before it listens on that port: the page can post to the frame too,
// but it never learns a nonce (they live in the worker and the content script's isolated world).
// The content script sends positions, ids and the page's own text; everything the team knows
// (definitions, related articles, collections, notes) the frame fetches from the worker itself.
import type { CardQuery } from "./api";
import type { TextPositionSelector, TextQuoteSelector } from "./api.gen";
import type { CardView } from "./card-view";

/** What the frame is for: hover cards, or the save button and form. */
export type FrameRole = "card" | "save";

/** The first message, posted to the frame's window with the channel's port. */
export interface FrameHello {
  gloss: "frame-hello";
  nonce: string;
}

/** A saved highlight as the content script knows it: enough to draw and to find its card. */
export interface SavedRef {
  /** The annotation's IRI. */
  id: string;
  color: string;
}

/** What the content script asks of the frame. Each has a request id; the frame answers it once. */
export type ContentToFrame =
  /** `fallback`: what the annotate answer said, shown when the card route cannot answer. */
  | { rid: number; type: "card"; query: CardQuery; fallback: CardView; focus: boolean }
  | { rid: number; type: "saved-card"; annotationId: string; exact: string; focus: boolean }
  | { rid: number; type: "save-button" }
  | { rid: number; type: "save-form"; url: string; title: string; selectors: [TextQuoteSelector, TextPositionSelector]; focus: boolean }
  | { rid: number; type: "focus" }
  | { rid: number; type: "clear" };

/** The frame's answer to a request: its content's size once drawn, or that there is nothing to show. */
export type FrameReply = { rid: number; type: "reply"; ok: true; width: number; height: number } | { rid: number; type: "reply"; ok: false };

/** What the frame tells the content script on its own, after a trusted event inside it. */
export type FrameEvent =
  | FrameReply
  /** Alt+Shift+N / Alt+Shift+P pressed inside the frame: the next or previous highlight. */
  | { type: "move"; delta: 1 | -1 }
  /** The pointer came onto the frame or left it (the page cannot see pointer events inside it). */
  | { type: "pointer"; over: boolean }
  /** The content changed size (an error shown, a section opened). */
  | { type: "size"; width: number; height: number }
  /** Close it: the close button, Cancel, or Escape (`keyboard`: give focus back to the page). */
  | { type: "close"; keyboard: boolean }
  /** The save button was pressed: the content script answers with `save-form` for its selection. */
  | { type: "open-form"; keyboard: boolean }
  /** A highlight was saved, changed or deleted: the content script draws it. */
  | { type: "saved"; annotation: SavedRef & { selectors: Array<TextQuoteSelector | TextPositionSelector> } }
  | { type: "updated"; annotation: SavedRef }
  | { type: "deleted"; id: string };

export function isFrameHello(value: unknown): value is FrameHello {
  return typeof value === "object" && value !== null && (value as FrameHello).gloss === "frame-hello" && typeof (value as FrameHello).nonce === "string";
}
