// When a hover card fetches, shows and hides (product.md: 150 ms, 300-500 ms, 300 ms grace).

export const FETCH_AFTER_MS = 150;
export const SHOW_AFTER_MS = 400;
export const HIDE_AFTER_MS = 300;

export interface Timers {
  set(fn: () => void, ms: number): number;
  clear(id: number): void;
  now(): number;
}

export interface HoverCallbacks<K> {
  fetch(key: K): Promise<unknown>;
  show(key: K, data: unknown): void;
  hide(): void;
}

/**
 * A small state machine: pointer or focus `enter(key)`, `leave()`, `enterCard()`, `leaveCard()`,
 * `close()` (Escape). Keyboard opens skip the dwell: focus is a deliberate act.
 */
export class HoverController<K> {
  private current: K | null = null;
  private shown: K | null = null;
  private enteredAt = 0;
  private fetchTimer: number | null = null;
  private showTimer: number | null = null;
  private hideTimer: number | null = null;
  private onCard = false;
  private generation = 0;

  constructor(
    private readonly timers: Timers,
    private readonly cb: HoverCallbacks<K>,
    private readonly same: (a: K, b: K) => boolean = (a, b) => a === b,
  ) {}

  get visible(): K | null {
    return this.shown;
  }

  enter(key: K, immediate = false): void {
    this.cancelHide();
    if (this.current !== null && this.same(this.current, key)) return;
    this.cancelPending();
    if (this.shown !== null) {
      // Another highlight: the old card goes at once rather than staying over the new word.
      this.shown = null;
      this.cb.hide();
    }
    this.current = key;
    this.enteredAt = this.timers.now();
    const gen = ++this.generation;
    const start = () => {
      this.fetchTimer = null;
      this.cb.fetch(key).then(
        (data) => this.ready(gen, key, data, immediate),
        () => undefined,
      );
    };
    if (immediate) start();
    else this.fetchTimer = this.timers.set(start, FETCH_AFTER_MS);
  }

  private ready(gen: number, key: K, data: unknown, immediate: boolean): void {
    if (gen !== this.generation) return;
    const wait = immediate ? 0 : Math.max(0, SHOW_AFTER_MS - (this.timers.now() - this.enteredAt));
    const show = () => {
      this.showTimer = null;
      if (gen !== this.generation) return;
      this.shown = key;
      this.cb.show(key, data);
    };
    if (wait === 0) show();
    else this.showTimer = this.timers.set(show, wait);
  }

  leave(): void {
    if (this.current === null) return;
    if (this.shown === null) {
      // Left before the card showed: forget it, nothing flashes.
      this.reset();
      return;
    }
    this.scheduleHide();
  }

  enterCard(): void {
    this.onCard = true;
    this.cancelHide();
  }

  leaveCard(): void {
    this.onCard = false;
    this.scheduleHide();
  }

  close(): void {
    this.reset();
  }

  private scheduleHide(): void {
    if (this.hideTimer !== null || this.onCard) return;
    this.hideTimer = this.timers.set(() => {
      this.hideTimer = null;
      if (!this.onCard) this.reset();
    }, HIDE_AFTER_MS);
  }

  private cancelHide(): void {
    if (this.hideTimer !== null) this.timers.clear(this.hideTimer);
    this.hideTimer = null;
  }

  private cancelPending(): void {
    if (this.fetchTimer !== null) this.timers.clear(this.fetchTimer);
    if (this.showTimer !== null) this.timers.clear(this.showTimer);
    this.fetchTimer = null;
    this.showTimer = null;
  }

  private reset(): void {
    this.cancelPending();
    this.cancelHide();
    this.generation++;
    this.current = null;
    this.onCard = false;
    if (this.shown !== null) {
      this.shown = null;
      this.cb.hide();
    }
  }
}
