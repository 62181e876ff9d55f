// Typed messages from the extension's own pages to the service worker.
import type { ReplyFor, UiToBackground } from "../shared/messages";

export async function send<M extends UiToBackground>(message: M): Promise<ReplyFor<M>> {
  try {
    const reply = (await chrome.runtime.sendMessage(message)) as ReplyFor<M> | undefined;
    if (reply) return reply;
  } catch {
    // fall through
  }
  return { ok: false, error: { kind: "offline", message: "The Gloss service worker did not answer" } } as ReplyFor<M>;
}
