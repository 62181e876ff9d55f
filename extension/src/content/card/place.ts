// Where Gloss's frame goes on the page: by the word for a card, in the margin for the save button.

/** Where the card goes: below the word if it fits, else above; always inside the viewport. */
export function placeCard(anchor: { left: number; top: number; bottom: number }, size: { width: number; height: number }, viewport: { width: number; height: number }, gap = 6): { left: number; top: number } {
  const margin = 8;
  let left = Math.min(anchor.left, viewport.width - size.width - margin);
  left = Math.max(margin, left);
  let top = anchor.bottom + gap;
  if (top + size.height > viewport.height - margin) {
    const above = anchor.top - gap - size.height;
    top = above >= margin ? above : Math.max(margin, viewport.height - size.height - margin);
  }
  return { left, top };
}


type Rect = { left: number; top: number; right: number; bottom: number };

/**
 * Where the save button or form goes for a selection: in the margin beside the selection's last
 * line (right, then left), so it never covers the text; only when the text fills the width, above
 * the selection's first line (the button) or below its last (the form, which the reader asked for).
 */
export function placeBeside(lines: Rect[], block: Rect, size: { width: number; height: number }, viewport: { width: number; height: number }, below: boolean): { left: number; top: number } {
  const margin = 8;
  const gap = 8;
  const first = lines[0] ?? block;
  const last = lines[lines.length - 1] ?? block;
  const mid = (last.top + last.bottom) / 2;
  const top = Math.max(margin, Math.min(viewport.height - size.height - margin, mid - size.height / 2));
  if (block.right + gap + size.width <= viewport.width - margin) return { left: block.right + gap, top };
  if (block.left - gap - size.width >= margin) return { left: block.left - gap - size.width, top };
  const left = Math.max(margin, Math.min(below ? first.left : last.right - size.width, viewport.width - size.width - margin));
  if (!below && first.top - gap - size.height >= margin) return { left, top: first.top - gap - size.height };
  return placeCard({ left, top: first.top, bottom: last.bottom }, size, viewport, gap);
}
