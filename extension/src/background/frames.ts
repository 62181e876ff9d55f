// Which frames in a tab are Gloss's own: a content script gets a one-time nonce and hands it to
// the frame it created; the frame claims it here. A frame.html that a page embeds itself never
// learns a nonce, so it is never answered. Kept in storage.session (the worker may die between
// two events; content scripts cannot read that area).
import type { FrameRole } from "../shared/frame-protocol";

interface TabFrames {
  /** Nonces given out and not claimed yet, by role, with the content script's frame. */
  pending: Array<{ nonce: string; role: FrameRole; parentFrameId: number; issued: number }>;
  /** Frame ids that claimed a nonce. */
  claimed: number[];
}

const key = (tabId: number) => `frames:${tabId}`;
/** A nonce not claimed within this time is forgotten (the frame loads in milliseconds). */
const NONCE_TTL_MS = 60_000;

async function load(tabId: number): Promise<TabFrames> {
  const stored = (await chrome.storage.session.get(key(tabId))) as Record<string, TabFrames | undefined>;
  return stored[key(tabId)] ?? { pending: [], claimed: [] };
}

async function store(tabId: number, frames: TabFrames): Promise<void> {
  await chrome.storage.session.set({ [key(tabId)]: frames });
}

/** One change at a time: the card and save frames of a tab claim at the same moment. */
let queue: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function randomNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function issueNonce(tabId: number, parentFrameId: number, role: FrameRole): Promise<string> {
  return serial(async () => {
    const frames = await load(tabId);
    const now = Date.now();
    const nonce = randomNonce();
    frames.pending = [...frames.pending.filter((p) => now - p.issued < NONCE_TTL_MS), { nonce, role, parentFrameId, issued: now }];
    await store(tabId, frames);
    return nonce;
  });
}

/** A frame presents a nonce: it is Gloss's own when the nonce was given in this tab, for this role. */
export function claimFrame(tabId: number, frameId: number, role: FrameRole, nonce: string): Promise<boolean> {
  return serial(async () => {
    const frames = await load(tabId);
    const now = Date.now();
    const found = frames.pending.find((p) => p.nonce === nonce && p.role === role && now - p.issued < NONCE_TTL_MS);
    if (!found) return false;
    frames.pending = frames.pending.filter((p) => p !== found);
    frames.claimed = [...new Set([...frames.claimed, frameId])];
    await store(tabId, frames);
    return true;
  });
}

export async function frameClaimed(tabId: number, frameId: number): Promise<boolean> {
  return (await load(tabId)).claimed.includes(frameId);
}

export async function forgetFrames(tabId: number): Promise<void> {
  await serial(() => chrome.storage.session.remove(key(tabId)));
}
