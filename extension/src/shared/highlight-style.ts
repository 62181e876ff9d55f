// The look of each kind of highlight: drawn on the page, and shown as the popup's legend.

// Underlines and translucent fills keep the page's own text color, so they read on light and
// dark pages alike; each kind has its own shape, not only its own color.
export const ENTITY_STYLE = "text-decoration: underline dotted 2px rgb(0 150 190 / 0.95); text-underline-offset: 3px; background-color: rgb(0 170 210 / 0.10);";
export const TERM_STYLE = "text-decoration: underline solid 2px rgb(200 110 0 / 0.95); text-underline-offset: 3px; background-color: rgb(255 170 0 / 0.16);";
export const FOCUS_STYLE = "background-color: rgb(120 90 255 / 0.35);";
export const SAVED_STYLE = {
  yellow: "background-color: rgb(255 225 0 / 0.45);",
  green: "background-color: rgb(60 220 90 / 0.40);",
  blue: "background-color: rgb(80 160 255 / 0.40);",
  pink: "background-color: rgb(255 100 180 / 0.40);",
} as const;

/** The colours a saved highlight may have (Gloss's `color` on an annotation). */
export const COLORS = ["yellow", "green", "blue", "pink"] as const;
export type Color = (typeof COLORS)[number];
