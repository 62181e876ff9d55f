// Typed messages from the extension's own pages (popup, options, the in-page frame) to the worker.
import type { FrameToBackground, ReplyFor, UiToBackground } from "../shared/messages";

export async function send<M extends UiToBackground | FrameToBackground>(message: M): Promise<ReplyFor<M>> {
  try {
    const reply = (await chrome.runtime.sendMessage(message)) as ReplyFor<M> | undefined;
    if (reply) return reply;
  } catch {
    // fall through
  }
  return { ok: false, error: { kind: "offline", message: "The Gloss service worker did not answer" } } as ReplyFor<M>;
}
