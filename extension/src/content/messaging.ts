// Send typed messages to the service worker; a dead or reloaded extension is an error, not a throw.
import type { ContentToBackground, ReplyFor } from "../shared/messages";

export function extensionAlive(): boolean {
  try {
    return !!chrome.runtime?.id;
  } catch {
    return false;
  }
}

export async function send<M extends ContentToBackground>(message: M): Promise<ReplyFor<M>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    if (!extensionAlive()) break;
    try {
      const reply = (await chrome.runtime.sendMessage(message)) as ReplyFor<M> | undefined;
      // No reply means the worker died mid-request; it restarts on the next message.
      if (reply) return reply;
    } catch {
      // Same: "Receiving end does not exist" while the worker restarts.
    }
  }
  return { ok: false, error: { kind: "offline", message: "The Gloss extension is not responding" } } as ReplyFor<M>;
}
