// A jsdom document for tests of the parts that read the DOM.
import { JSDOM } from "jsdom";

export function dom(body: string): Document {
  const d = new JSDOM(`<!doctype html><html><head></head><body>${body}</body></html>`);
  return d.window.document;
}

/** jsdom has no layout: treat only inline display:none and visibility:hidden as hidden. */
export function inlineHidden(el: Element): boolean {
  const style = (el as HTMLElement).style;
  return style?.display === "none" || style?.visibility === "hidden";
}

/** jsdom has no layout: an element is laid out as a block only by its inline style. */
export function inlineBlock(el: Element): boolean {
  const display = (el as HTMLElement).style?.display ?? "";
  return display !== "" && !display.startsWith("inline") && display !== "contents" && display !== "none";
}
