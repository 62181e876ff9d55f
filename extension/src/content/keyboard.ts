// The page's keys: Alt+Shift+N / Alt+Shift+P move between highlights; Escape closes what is open.
// Only the reader's own key presses count: a page script's synthetic keydown is not trusted.
import type { Cards } from "./card/cards";
import type { PageSession } from "./page";
import type { SaveFlow } from "./save/save";

export function installKeyboard(win: Window, page: PageSession, cards: Cards, save: SaveFlow): void {
  win.addEventListener(
    "keydown",
    (e) => {
      if (!e.isTrusted) return;
      if (e.key === "Escape" && (cards.open || save.open)) {
        cards.close();
        save.close();
        e.stopPropagation();
        return;
      }
      if (e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && (e.code === "KeyN" || e.code === "KeyP") && page.hasHighlights()) {
        e.preventDefault();
        e.stopPropagation();
        cards.moveFocus(e.code === "KeyN" ? 1 : -1);
      }
    },
    true,
  );
}
