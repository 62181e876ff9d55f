// Messages between the parts of the extension, named by direction (content -> background and back).
import type { CardQuery, NewAnnotation } from "./api";
import type { AnnotateRequest, AnnotateResponse, Annotation, Card, Collection, Invitation, Me } from "./api.gen";
import type { FrameRole } from "./frame-protocol";
import type { Display } from "./display";
import type { PageStatus } from "./types";

/** The content script asks the service worker, the only part that talks to the server. */
export type ContentToBackground =
  | { type: "content/hello"; url: string }
  | { type: "content/annotate"; text: string; url: string; title: string; include?: AnnotateRequest["include"]; priority?: AnnotateRequest["priority"] }
  | { type: "content/frame-nonce"; role: FrameRole }
  | { type: "content/annotations-for-url"; url: string }
  | { type: "content/status"; status: PageStatus };

/**
 * The extension's own frame (frame.html in the page) asks the worker for what the team knows; the
 * worker answers only a frame that claimed a nonce its tab's content script was given.
 */
export type FrameToBackground =
  | { type: "frame/claim"; nonce: string; role: FrameRole }
  | { type: "frame/card"; query: CardQuery }
  | { type: "frame/collections"; url: string }
  | { type: "frame/create-collection"; name: string; teamId: string | null }
  | { type: "frame/save-annotation"; collectionId: string; annotation: NewAnnotation; url: string }
  | { type: "frame/annotation"; id: string }
  | { type: "frame/update-annotation"; id: string; note: string; tags: string[]; color: string }
  | { type: "frame/delete-annotation"; id: string };

/** The service worker tells a tab's content script what the reader asked for. */
export type BackgroundToContent =
  | { type: "background/annotate-now" }
  | { type: "background/open-save-form" }
  | { type: "background/stop" }
  | { type: "background/ping" }
  | { type: "background/display"; display: Display };

/** The popup and the options page ask the service worker. */
export type UiToBackground =
  | { type: "ui/tab-state"; tabId: number }
  | { type: "ui/annotate-tab"; tabId: number }
  | { type: "ui/set-site"; tabId: number; enabled: boolean }
  | { type: "ui/set-display"; display: Display }
  | { type: "ui/check-server" }
  | { type: "ui/invitations" }
  | { type: "ui/answer-invitation"; id: string; accept: boolean }
  | { type: "ui/settings-changed" };

export type AnyMessage = ContentToBackground | FrameToBackground | BackgroundToContent | UiToBackground;

/** Every answer is either a value or an error the caller can show. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export type ErrorKind = "offline" | "timeout" | "unauthorized" | "too-large" | "not-configured" | "not-found" | "server" | "forbidden" | "not-gloss";

export interface ErrorInfo {
  kind: ErrorKind;
  status?: number;
  message: string;
}

export interface HelloReply {
  auto: boolean;
  display: Display;
}

export interface TabState {
  url: string;
  origin: string | null;
  allowedScheme: boolean;
  siteEnabled: boolean;
  status: PageStatus | null;
  configured: boolean;
  /** The stored pattern that turns this site on (from the options or the popup), if any. */
  sitePattern: string | null;
  display: Display;
}

/** A collection the reader may save into, with the name of the team that shares it. */
export interface CollectionChoice {
  id: string;
  name: string;
  /** The team's name; null for a private collection. */
  team: string | null;
  private: boolean;
}

export interface CollectionsReply {
  collections: CollectionChoice[];
  /** The teams the reader may create a collection in. */
  teams: Array<{ id: string; name: string }>;
  /** The collection last saved into on this site (or anywhere); null when none is remembered. */
  lastUsed: string | null;
}

export type ReplyFor<M extends AnyMessage> = M extends { type: "content/hello" }
  ? Reply<HelloReply>
  : M extends { type: "content/annotate" }
    ? Reply<AnnotateResponse>
    : M extends { type: "content/frame-nonce" }
      ? Reply<{ nonce: string }>
      : M extends { type: "frame/card" }
      ? Reply<Card>
      : M extends { type: "frame/collections" }
        ? Reply<CollectionsReply>
        : M extends { type: "frame/create-collection" }
          ? Reply<Collection>
        : M extends { type: "frame/save-annotation" | "frame/annotation" | "frame/update-annotation" }
          ? Reply<Annotation>
          : M extends { type: "content/annotations-for-url" }
            ? Reply<Annotation[]>
            : M extends { type: "ui/tab-state" }
              ? Reply<TabState>
              : M extends { type: "ui/check-server" }
                ? Reply<Me>
                : M extends { type: "ui/invitations" }
                  ? Reply<Invitation[]>
                : M extends { type: "ui/set-display" }
                  ? Reply<Display>
                  : Reply<null>;

/** Narrow an unknown runtime message to one of ours (messages from pages are never trusted). */
export function isMessage(value: unknown): value is AnyMessage {
  if (typeof value !== "object" || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === "string" && /^(content|frame|background|ui)\//.test(type);
}
