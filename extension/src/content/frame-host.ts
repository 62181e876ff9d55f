// The content script's side of the extension's own frame: create it, hand it a private channel,
// ask it to draw, then size and place it by the page's words. Team data never passes through here
// into the page's DOM: the frame fetches it, and the page cannot look inside a chrome-extension://
// frame.
import type { ContentToFrame, FrameEvent, FrameHello, FrameReply, FrameRole } from "../shared/frame-protocol";
import { send } from "./messaging";

/** ContentToFrame without its request id (the host numbers requests). */
type Ask = ContentToFrame extends infer M ? (M extends { rid: number } ? Omit<M, "rid"> : never) : never;

export interface Size {
  width: number;
  height: number;
}

const BASE_STYLE = [
  "all: initial",
  "position: fixed",
  "z-index: 2147483647",
  "display: block",
  "margin: 0",
  "padding: 0",
  "border: 0",
  "background: transparent",
  "color-scheme: normal",
  "box-sizing: content-box",
  "overflow: hidden",
];

/** The look of the frame's box by what it holds: a card or form, or the small save button. */
const LOOK = {
  panel: ["border: 1px solid #c9ced8", "border-radius: 8px", "box-shadow: 0 6px 24px rgb(0 0 0 / 0.22)"],
  pill: ["border-radius: 14px", "box-shadow: 0 2px 8px rgb(0 0 0 / 0.2)"],
} as const;

function extensionOrigin(): string {
  return chrome.runtime.getURL("").replace(/\/+$/, "");
}

export class FrameHost {
  private element: HTMLIFrameElement | null = null;
  private port: MessagePort | null = null;
  private connecting: Promise<boolean> | null = null;
  private nextRid = 1;
  private readonly waiting = new Map<number, (reply: FrameReply) => void>();
  private shown = false;
  private look: keyof typeof LOOK = "panel";
  private geometry = { left: 0, top: 0, width: 0, height: 0 };

  constructor(
    private readonly doc: Document,
    private readonly role: FrameRole,
    private readonly title: string,
    private readonly onEvent: (event: FrameEvent) => void,
  ) {}

  get open(): boolean {
    return this.shown;
  }

  /** The iframe element (for "is the pointer on it" and focus checks). */
  get frame(): HTMLIFrameElement | null {
    return this.element;
  }

  /** Create the frame and its channel (once; again if the page removed it). */
  connect(): Promise<boolean> {
    if (this.element && !this.element.isConnected) this.reset();
    if (!this.connecting) this.connecting = this.handshake().then((ok) => {
      if (!ok) this.reset();
      return ok;
    });
    return this.connecting;
  }

  /** Ask the frame to draw something; resolves with its size, or null when there is nothing to show. */
  async ask(message: Ask): Promise<Size | null> {
    if (!(await this.connect()) || !this.port) return null;
    const rid = this.nextRid++;
    const reply = await new Promise<FrameReply>((resolve) => {
      this.waiting.set(rid, resolve);
      this.port!.postMessage({ ...message, rid } as ContentToFrame);
    });
    return reply.ok ? { width: reply.width, height: reply.height } : null;
  }

  /**
   * Take the frame out of the page (it is made again when next needed). Chromium keeps no page
   * with an extension frame in its back/forward cache, so the frame leaves on `pagehide`.
   */
  remove(): void {
    this.reset();
  }

  /**
   * The size the frame may take for content of `size`: inside the viewport with a margin, and no
   * taller than `maxHeight` (the frame scrolls inside). Placement is computed on this size.
   */
  fit(size: Size, maxHeight = Number.POSITIVE_INFINITY): Size {
    const view = this.doc.defaultView!;
    return { width: Math.min(size.width, view.innerWidth - 16), height: Math.min(size.height, maxHeight, view.innerHeight - 16) };
  }

  /** Show the frame at a place (page viewport coordinates), at a size from `fit`. */
  place(pos: { left: number; top: number }, size: Size, look: keyof typeof LOOK = "panel"): void {
    if (!this.element) return;
    this.look = look;
    this.geometry = { left: Math.round(pos.left), top: Math.round(pos.top), width: size.width, height: size.height };
    this.apply(true);
    this.shown = true;
  }

  /** The content changed size while shown: keep its top-left corner, fit the new size. */
  resize(size: Size): void {
    if (!this.shown || !this.element) return;
    const view = this.doc.defaultView!;
    const fitted = this.fit(size);
    this.geometry.width = fitted.width;
    this.geometry.height = fitted.height;
    this.geometry.top = Math.max(8, Math.min(this.geometry.top, view.innerHeight - fitted.height - 8));
    this.apply(true);
  }

  hide(): void {
    if (!this.element) return;
    if (this.shown && this.doc.activeElement === this.element) this.element.blur();
    this.shown = false;
    this.apply(false);
    if (this.port) void this.ask({ type: "clear" });
  }

  /** Give the frame keyboard focus: the iframe, then, inside it, what the frame chose (once visible). */
  focus(): void {
    if (!this.element) return;
    this.element.focus({ preventScroll: true });
    if (this.port) void this.ask({ type: "focus" });
  }

  private apply(visible: boolean): void {
    const el = this.element!;
    const g = this.geometry;
    const style = [
      ...BASE_STYLE,
      ...LOOK[this.look],
      `left: ${g.left}px`,
      `top: ${g.top}px`,
      `width: ${g.width}px`,
      `height: ${g.height}px`,
      visible ? "visibility: visible" : "visibility: hidden",
      visible ? "pointer-events: auto" : "pointer-events: none",
    ];
    el.setAttribute("style", style.map((d) => `${d} !important`).join("; "));
    if (visible) el.removeAttribute("aria-hidden");
    else el.setAttribute("aria-hidden", "true");
    el.tabIndex = visible ? 0 : -1;
  }

  private reset(): void {
    this.port?.close();
    this.port = null;
    this.element?.remove();
    this.element = null;
    this.connecting = null;
    this.shown = false;
    for (const resolve of this.waiting.values()) resolve({ rid: 0, type: "reply", ok: false });
    this.waiting.clear();
  }

  private async handshake(): Promise<boolean> {
    const nonce = await send({ type: "content/frame-nonce", role: this.role });
    if (!nonce.ok) return false;
    const doc = this.doc;
    const el = doc.createElement("iframe");
    el.src = chrome.runtime.getURL(`frame.html?role=${this.role}`);
    el.title = this.title;
    el.setAttribute("data-gloss-ui", "");
    el.setAttribute("allow", "");
    this.element = el;
    this.geometry = { left: 0, top: 0, width: 400, height: 10 };
    this.apply(false);
    const loaded = new Promise<void>((resolve) => el.addEventListener("load", () => resolve(), { once: true }));
    doc.documentElement.appendChild(el);
    await loaded;
    const win = el.contentWindow;
    if (!win) return false;
    const channel = new MessageChannel();
    const confirmed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      channel.port1.onmessage = (e: MessageEvent) => {
        const event = e.data as FrameEvent;
        if (event.type === "reply" && event.rid === 0) {
          clearTimeout(timer);
          resolve(true);
          return;
        }
        if (event.type === "reply") {
          const done = this.waiting.get(event.rid);
          this.waiting.delete(event.rid);
          done?.(event);
          return;
        }
        if (event.type === "size") this.resize(event);
        this.onEvent(event);
      };
    });
    const hello: FrameHello = { gloss: "frame-hello", nonce: nonce.value.nonce };
    // Posted to the extension's origin only: if the page navigated the frame elsewhere, nothing is sent.
    win.postMessage(hello, extensionOrigin(), [channel.port2]);
    if (!(await confirmed)) return false;
    this.port = channel.port1;
    return true;
  }
}
