// A stand-in for the parts of `chrome.storage` the worker's modules use at import and after: an
// area that counts its reads and tells listeners of writes, as the browser does. Import it first.
type Listener = (changes: Record<string, { oldValue?: unknown; newValue?: unknown }>, area: string) => void;

export class FakeArea {
  readonly items = new Map<string, unknown>();
  reads = 0;
  /** The next read fails (the browser's storage is unavailable). */
  failNext = false;

  constructor(
    private readonly name: string,
    private readonly listeners: Listener[],
  ) {}

  async get(key: string): Promise<Record<string, unknown>> {
    this.reads++;
    await Promise.resolve();
    if (this.failNext) {
      this.failNext = false;
      throw new Error("storage unavailable");
    }
    return this.items.has(key) ? { [key]: structuredClone(this.items.get(key)) } : {};
  }

  async set(values: Record<string, unknown>): Promise<void> {
    await Promise.resolve();
    const changes: Record<string, { oldValue?: unknown; newValue?: unknown }> = {};
    for (const [k, v] of Object.entries(values)) {
      changes[k] = { oldValue: this.items.get(k), newValue: v };
      this.items.set(k, structuredClone(v));
    }
    // Listeners hear of it later, as in the browser.
    setTimeout(() => this.listeners.forEach((l) => l(changes, this.name)), 0);
  }

  /** A write from another context (the options page): this one only hears of it. */
  writeElsewhere(values: Record<string, unknown>): Promise<void> {
    return this.set(values);
  }
}

const listeners: Listener[] = [];
export const local = new FakeArea("local", listeners);

(globalThis as unknown as { chrome: unknown }).chrome = {
  storage: {
    local,
    onChanged: { addListener: (l: Listener) => listeners.push(l) },
  },
};

/** Lets the storage's change events be delivered. */
export function changesHeard(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}
