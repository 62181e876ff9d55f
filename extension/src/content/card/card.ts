// The hover card: a `gloss-card` element with an open shadow root, placed by the word, on screen.
import type { SubjectKnowledge } from "../../shared/api.gen";
import type { CardView } from "./view";

const CARD_CSS = `
:host { all: initial; position: fixed; z-index: 2147483647; top: 0; left: 0; }
.card { box-sizing: border-box; width: min(360px, calc(100vw - 16px)); max-height: min(420px, calc(100vh - 16px)); overflow: auto;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; background: #fff;
  border: 1px solid #c9ced8; border-radius: 8px; box-shadow: 0 6px 24px rgb(0 0 0 / 0.22); padding: 12px 14px; }
@media (prefers-color-scheme: dark) { .card { color: #e6e9ef; background: #1f232b; border-color: #3a404c; } a { color: #8ab4ff; } .meta, .kind { color: #a9b0bd; } }
.kind { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: #5b6474; }
h2 { font-size: 16px; margin: 2px 0 6px; }
p { margin: 0 0 8px; }
.meta { font-size: 12px; color: #5b6474; margin-bottom: 8px; }
ul { margin: 4px 0 0; padding-left: 18px; }
li { margin-bottom: 4px; }
a { color: #1a56c4; }
blockquote { margin: 6px 0 2px; padding-left: 8px; border-left: 3px solid #c9ced8; font-style: italic; }
h3 { font-size: 12px; margin: 10px 0 2px; text-transform: uppercase; letter-spacing: .05em; }
.close { position: absolute; top: 6px; right: 8px; border: 0; background: transparent; font-size: 16px; cursor: pointer; color: inherit; }
`;

export interface CardHandle {
  element: HTMLElement;
  root: ShadowRoot;
  show(data: CardView, anchor: DOMRect): void;
  showMessage(message: string, anchor: DOMRect): void;
  hide(): void;
  readonly open: boolean;
}

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  // Server text is always text: textContent, never innerHTML.
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function safeLink(doc: Document, href: string | null, text: string): HTMLElement {
  if (href && /^https?:\/\//i.test(href)) {
    const a = el(doc, "a", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  return el(doc, "span", text);
}

export function renderCard(doc: Document, data: CardView): HTMLElement {
  const box = el(doc, "div", undefined, "card");
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", `Gloss: ${data.title}`);
  box.appendChild(el(doc, "div", data.kind === "term" ? "Glossary term" : `Entity${data.label ? ` · ${data.label}` : ""}`, "kind"));
  const h = el(doc, "h2");
  h.appendChild(safeLink(doc, data.link, data.title));
  box.appendChild(h);
  if (data.definition) box.appendChild(el(doc, "p", data.definition, "definition"));
  if (data.aliases.length) box.appendChild(el(doc, "div", `Also: ${data.aliases.join(", ")}`, "meta aliases"));
  if (data.glossary) box.appendChild(el(doc, "div", `Glossary: ${data.glossary}`, "meta glossary"));
  if (data.knowledge && data.knowledge.article_count > 0) renderKnowledge(doc, box, data.knowledge);
  if (!data.definition && data.related.length === 0 && !data.knowledge?.article_count) {
    box.appendChild(el(doc, "p", `The team has nothing stored about ${data.title} yet.`, "meta empty"));
  }
  if (data.related.length) {
    box.appendChild(el(doc, "h3", "Related articles"));
    const ul = el(doc, "ul", undefined, "related");
    for (const r of data.related.slice(0, 5)) {
      const li = el(doc, "li");
      li.appendChild(safeLink(doc, r.url, r.title || r.url || "untitled"));
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }
  const close = el(doc, "button", "×", "close");
  close.setAttribute("aria-label", "Close");
  close.type = "button";
  box.appendChild(close);
  return box;
}

/** What the team's stored articles say of an entity: how many, a sentence, the latest, companions. */
function renderKnowledge(doc: Document, box: HTMLElement, k: SubjectKnowledge): void {
  const count = k.article_count;
  box.appendChild(el(doc, "div", `Named in ${count} stored article${count === 1 ? "" : "s"}`, "meta count"));
  if (k.sentence) {
    const quote = el(doc, "blockquote", k.sentence.text, "sentence");
    box.appendChild(quote);
    const from = el(doc, "div", "— ", "meta source");
    from.appendChild(safeLink(doc, k.sentence.article.url, k.sentence.article.title));
    box.appendChild(from);
  }
  if (k.latest.length) {
    box.appendChild(el(doc, "h3", "Latest"));
    const ul = el(doc, "ul", undefined, "latest");
    for (const a of k.latest) {
      const li = el(doc, "li");
      li.appendChild(safeLink(doc, a.url, a.title || a.url));
      const where = [a.published_at ? a.published_at.slice(0, 10) : null, a.source].filter(Boolean).join(" · ");
      if (where) li.appendChild(el(doc, "span", ` ${where}`, "meta"));
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }
  if (k.appears_with.length) {
    box.appendChild(el(doc, "div", `Often with: ${k.appears_with.map((c) => c.text).join(", ")}`, "meta with"));
  }
}

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

export function createCard(doc: Document, hooks: { onEnter(): void; onLeave(): void; onClose(): void }): CardHandle {
  const host = doc.createElement("gloss-card") as HTMLElement;
  host.setAttribute("data-gloss-ui", "");
  const root = host.attachShadow({ mode: "open" });
  const style = doc.createElement("style");
  style.textContent = CARD_CSS;
  root.appendChild(style);
  host.addEventListener("mouseenter", () => hooks.onEnter());
  host.addEventListener("mouseleave", () => hooks.onLeave());
  root.addEventListener("click", (e) => {
    if ((e.target as Element | null)?.classList?.contains("close")) hooks.onClose();
  });
  let open = false;

  const mount = (content: HTMLElement, anchor: DOMRect) => {
    for (const child of Array.from(root.childNodes)) if (child !== style) root.removeChild(child);
    root.appendChild(content);
    if (!host.isConnected) doc.documentElement.appendChild(host);
    host.style.visibility = "hidden";
    host.hidden = false;
    const size = content.getBoundingClientRect();
    const view = doc.defaultView!;
    const pos = placeCard(anchor, { width: size.width, height: size.height }, { width: view.innerWidth, height: view.innerHeight });
    host.style.left = `${pos.left}px`;
    host.style.top = `${pos.top}px`;
    host.style.visibility = "visible";
    open = true;
  };

  return {
    element: host,
    root,
    get open() {
      return open;
    },
    show(data, anchor) {
      mount(renderCard(doc, data), anchor);
    },
    showMessage(message, anchor) {
      const box = el(doc, "div", message, "card");
      box.setAttribute("role", "status");
      mount(box, anchor);
    },
    hide() {
      open = false;
      host.remove();
    },
  };
}
