// The extension's own state: settings, a page's status. What the server sends is in api.gen.ts.
import { DEFAULT_DISPLAY, type Display } from "./display";

export type GlossState = "idle" | "annotating" | "annotated" | "error";

/** A saved highlight that could not be placed on the page: shown in the popup, never dropped. */
export interface Orphan {
  /** The annotation's IRI (`Annotation.id`). */
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
  /** The `Collection.id` the reader saved into last, anywhere. */
  lastCollection: string | null;
  /** The collection last saved into on each site (by origin): a reader keeps one per project. */
  lastCollectionBySite: Record<string, string>;
  /** What the page highlights: kinds on and off, first mentions or all. */
  display: Display;
}

export const DEFAULT_SETTINGS: Settings = {
  serverUrl: "http://127.0.0.1:8000",
  token: "",
  sites: [],
  disabledOrigins: [],
  lastCollection: null,
  lastCollectionBySite: {},
  display: DEFAULT_DISPLAY,
};
