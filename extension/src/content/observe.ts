// One shared, debounced MutationObserver for the whole content script.
import { isOwnUi } from "./extract/extract";

export type ChangeListener = (added: Node[], textChanged: boolean) => void;

/** Whether a mutation touches only our own UI (cards, marks' style, highlight sheet). */
function ownMutation(m: MutationRecord): boolean {
  const t = m.target;
  const el = t.nodeType === 1 ? (t as Element) : t.parentElement;
  if (el && el.closest("[data-gloss-ui]")) return true;
  if (m.type === "attributes") return true;
  const nodes = [...Array.from(m.addedNodes), ...Array.from(m.removedNodes)];
  return nodes.length > 0 && nodes.every((n) => n.nodeType === 1 && isOwnUi(n as Element));
}

export class SharedObserver {
  private observer: MutationObserver | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private added: Node[] = [];
  private textChanged = false;
  private listeners = new Set<ChangeListener>();

  constructor(
    private readonly root: Node,
    private readonly delayMs = 600,
  ) {}

  subscribe(fn: ChangeListener): () => void {
    this.listeners.add(fn);
    if (!this.observer) this.start();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** Pause while we change the DOM ourselves (the element fallback), so we don't see our own work. */
  pause<T>(fn: () => T): T {
    this.observer?.takeRecords();
    this.observer?.disconnect();
    try {
      return fn();
    } finally {
      if (this.listeners.size > 0) this.connect();
    }
  }

  private start(): void {
    this.observer = new MutationObserver((records) => this.collect(records));
    this.connect();
  }

  private connect(): void {
    this.observer?.observe(this.root, { childList: true, subtree: true, characterData: true });
  }

  private collect(records: MutationRecord[]): void {
    let relevant = false;
    for (const m of records) {
      if (ownMutation(m)) continue;
      relevant = true;
      if (m.type === "characterData" || m.removedNodes.length > 0) this.textChanged = true;
      for (const n of Array.from(m.addedNodes)) this.added.push(n);
    }
    if (!relevant) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    this.timer = null;
    const added = this.added;
    const changed = this.textChanged;
    this.added = [];
    this.textChanged = false;
    for (const fn of this.listeners) fn(added, changed);
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
