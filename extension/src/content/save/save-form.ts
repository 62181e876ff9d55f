// "Save to Gloss": a small button by a selection, then a compact form in a shadow root.
import type { Collection } from "../../shared/api.gen";
import { COLORS, type Color } from "../render/highlighter";

const CSS = `
:host { all: initial; position: fixed; z-index: 2147483646; }
button, select, input, textarea { font: inherit; }
.pill { font: 13px system-ui, sans-serif; padding: 4px 10px; border-radius: 14px; border: 1px solid #8a6d00; background: #ffe36e; color: #221; cursor: pointer; box-shadow: 0 2px 8px rgb(0 0 0 / .2); }
form { font: 13px/1.4 system-ui, sans-serif; display: grid; gap: 6px; width: 260px; padding: 10px; background: #fff; color: #1d2330; border: 1px solid #c9ced8; border-radius: 8px; box-shadow: 0 6px 24px rgb(0 0 0 / .22); }
@media (prefers-color-scheme: dark) { form { background: #1f232b; color: #e6e9ef; border-color: #3a404c; } }
label { display: grid; gap: 2px; }
.colors { display: flex; gap: 6px; border: 0; padding: 0; margin: 0; flex-wrap: wrap; }
.colors legend { padding: 0; margin-bottom: 2px; }
.colors label { display: inline-flex; align-items: center; gap: 3px; padding: 1px 6px 1px 2px; border-radius: 10px; color: #1d2330; }
.colors label[data-color=yellow] { background: rgb(255 225 0 / 0.55); }
.colors label[data-color=green] { background: rgb(60 220 90 / 0.50); }
.colors label[data-color=blue] { background: rgb(80 160 255 / 0.50); }
.colors label[data-color=pink] { background: rgb(255 100 180 / 0.50); }
.row { display: flex; gap: 6px; justify-content: flex-end; }
.error { color: #b3261e; }
`;

export interface SaveRequest {
  collectionId: string;
  note: string;
  tags: string[];
  color: Color;
}

export interface SaveUi {
  showButton(rect: DOMRect): void;
  showForm(rect: DOMRect, collections: Collection[], lastUsed: string | null): void;
  showError(message: string): void;
  hide(): void;
  readonly element: HTMLElement;
  contains(node: Node | null): boolean;
}

export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[,\n]/).map((t) => t.trim()).filter(Boolean))];
}

export function createSaveUi(doc: Document, hooks: { onOpen(): void; onSubmit(req: SaveRequest): void; onCancel(): void }): SaveUi {
  const host = doc.createElement("gloss-save") as HTMLElement;
  host.setAttribute("data-gloss-ui", "");
  const root = host.attachShadow({ mode: "open" });
  const place = (rect: DOMRect, width: number) => {
    const view = doc.defaultView!;
    host.style.left = `${Math.max(8, Math.min(rect.left, view.innerWidth - width - 8))}px`;
    const below = rect.bottom + 6;
    host.style.top = `${below + 40 > view.innerHeight ? Math.max(8, rect.top - 46) : below}px`;
    if (!host.isConnected) doc.documentElement.appendChild(host);
  };
  const reset = () => {
    root.replaceChildren();
    const style = doc.createElement("style");
    style.textContent = CSS;
    root.appendChild(style);
  };
  return {
    element: host,
    contains: (node) => !!node && (node === host || host.contains(node)),
    showButton(rect) {
      reset();
      const b = doc.createElement("button");
      b.className = "pill";
      b.type = "button";
      b.textContent = "Save to Gloss";
      // Keep the page's selection: a mousedown on the button would otherwise clear it.
      b.addEventListener("mousedown", (e) => e.preventDefault());
      b.addEventListener("click", () => hooks.onOpen());
      root.appendChild(b);
      place(rect, 120);
    },
    showForm(rect, collections, lastUsed) {
      reset();
      const form = doc.createElement("form");
      form.setAttribute("aria-label", "Save to Gloss");
      const collection = doc.createElement("select");
      collection.name = "collection";
      for (const c of collections) {
        const o = doc.createElement("option");
        o.value = c.id;
        o.textContent = c.name;
        if (c.id === lastUsed) o.selected = true;
        collection.appendChild(o);
      }
      const label = (text: string, control: HTMLElement) => {
        const l = doc.createElement("label");
        l.append(text, control);
        return l;
      };
      const note = doc.createElement("textarea");
      note.name = "note";
      note.rows = 2;
      const tags = doc.createElement("input");
      tags.name = "tags";
      tags.placeholder = "comma, separated";
      const colors = doc.createElement("fieldset");
      colors.className = "colors";
      const legend = doc.createElement("legend");
      legend.textContent = "Colour";
      colors.appendChild(legend);
      COLORS.forEach((c, i) => {
        const r = doc.createElement("input");
        r.type = "radio";
        r.name = "color";
        r.value = c;
        r.checked = i === 0;
        const l = doc.createElement("label");
        l.dataset.color = c;
        l.append(r, c);
        colors.appendChild(l);
      });
      const error = doc.createElement("div");
      error.className = "error";
      error.setAttribute("role", "alert");
      const row = doc.createElement("div");
      row.className = "row";
      const cancel = doc.createElement("button");
      cancel.type = "button";
      cancel.textContent = "Cancel";
      cancel.addEventListener("click", () => hooks.onCancel());
      const save = doc.createElement("button");
      save.type = "submit";
      save.textContent = "Save";
      save.className = "save";
      row.append(cancel, save);
      form.append(label("Collection", collection), label("Note", note), label("Tags", tags), colors, error, row);
      if (collections.length === 0) {
        error.textContent = "No collection yet: create one on the server first.";
        save.disabled = true;
      }
      form.addEventListener("submit", (e) => {
        e.preventDefault();
        const color = (form.querySelector("input[name=color]:checked") as HTMLInputElement | null)?.value as Color | undefined;
        hooks.onSubmit({ collectionId: collection.value, note: note.value.trim(), tags: parseTags(tags.value), color: color ?? "yellow" });
      });
      form.addEventListener("keydown", (e) => {
        if (e.key === "Escape") hooks.onCancel();
      });
      root.appendChild(form);
      place(rect, 280);
      collection.focus();
    },
    showError(message) {
      const err = root.querySelector(".error");
      if (err) err.textContent = message;
    },
    hide() {
      host.remove();
    },
  };
}
