// A hover card's content, drawn inside the extension's own frame: the page cannot read it.
import type { SubjectKnowledge } from "../shared/api.gen";
import type { CardView } from "../shared/card-view";

export function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = doc.createElement(tag);
  // Server text is always text: textContent, never innerHTML.
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

export function safeLink(doc: Document, href: string | null, text: string): HTMLElement {
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
  // The dialog itself takes focus when the keyboard opens it, so a screen reader reads it whole.
  box.tabIndex = -1;
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
  close.setAttribute("aria-label", "Close the card");
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

