// The save form and a saved highlight's note, drawn inside the extension's own frame.
import { COLORS, type Color } from "../shared/highlight-style";
import type { CollectionsReply } from "../shared/messages";
import { el } from "./card";

export interface HighlightFields {
  note: string;
  tags: string[];
  color: Color;
}

export interface SaveRequest extends HighlightFields {
  /** An existing collection, or a new one to create first. */
  collection: { id: string } | { create: string; teamId: string | null };
}

export function parseTags(text: string): string[] {
  return [...new Set(text.split(/[,\n]/).map((t) => t.trim()).filter(Boolean))];
}

/** How a collection is named in the list: its name and the team that shares it. */
export function collectionLabel(c: CollectionsReply["collections"][number]): string {
  if (c.private || !c.team) return `${c.name} (private)`;
  return `${c.name} · ${c.team}`;
}

const NEW = "__new__";

/** Note, tags and colour: the part of the form that saving and editing share. */
function fieldsOf(doc: Document, initial: HighlightFields | null): { nodes: HTMLElement[]; read(): HighlightFields } {
  const label = (text: string, control: HTMLElement) => {
    const l = el(doc, "label");
    l.append(text, control);
    return l;
  };
  const note = el(doc, "textarea");
  note.name = "note";
  note.rows = 2;
  note.value = initial?.note ?? "";
  const tags = el(doc, "input");
  tags.name = "tags";
  tags.placeholder = "comma, separated";
  tags.value = initial?.tags.join(", ") ?? "";
  const colors = el(doc, "fieldset", undefined, "colors");
  colors.appendChild(el(doc, "legend", "Colour"));
  for (const c of COLORS) {
    const r = el(doc, "input");
    r.type = "radio";
    r.name = "color";
    r.value = c;
    r.checked = c === (initial?.color ?? "yellow");
    const l = el(doc, "label");
    l.dataset.color = c;
    l.append(r, c);
    colors.appendChild(l);
  }
  return {
    nodes: [label("Note", note), label("Tags", tags), colors],
    read: () => ({
      note: note.value.trim(),
      tags: parseTags(tags.value),
      color: ((colors.querySelector("input[name=color]:checked") as HTMLInputElement | null)?.value as Color | undefined) ?? "yellow",
    }),
  };
}

function buttons(doc: Document, submitText: string, onCancel: () => void): { row: HTMLElement; submit: HTMLButtonElement } {
  const row = el(doc, "div", undefined, "row");
  const cancel = el(doc, "button", "Cancel");
  cancel.type = "button";
  cancel.addEventListener("click", (e) => e.isTrusted && onCancel());
  const submit = el(doc, "button", submitText, "save");
  submit.type = "submit";
  row.append(cancel, submit);
  return { row, submit };
}

export interface FormHandle {
  form: HTMLFormElement;
  showError(message: string): void;
  busy(on: boolean): void;
}

function formHandle(form: HTMLFormElement, error: HTMLElement, submit: HTMLButtonElement): FormHandle {
  return {
    form,
    showError: (message) => {
      error.textContent = message;
    },
    busy: (on) => {
      submit.disabled = on;
    },
  };
}

function errorLine(doc: Document): HTMLElement {
  const error = el(doc, "div", undefined, "error");
  error.setAttribute("role", "alert");
  return error;
}

/**
 * The save form: a collection (the one used last on this site, or none until the reader picks one;
 * "New collection…" creates one in a team), note, tags and colour. Only trusted events submit.
 */
export function renderSaveForm(doc: Document, choices: CollectionsReply | null, hooks: { onSubmit(req: SaveRequest): void; onCancel(): void }): FormHandle {
  const form = el(doc, "form");
  form.setAttribute("aria-label", "Save to Gloss");
  form.noValidate = true;
  form.appendChild(el(doc, "h2", "Save to Gloss"));
  const collections = choices?.collections ?? [];
  const select = el(doc, "select");
  select.name = "collection";
  const placeholder = el(doc, "option", collections.length ? "Choose a collection…" : "No collection yet");
  placeholder.value = "";
  select.appendChild(placeholder);
  for (const c of collections) {
    const o = el(doc, "option", collectionLabel(c));
    o.value = c.id;
    select.appendChild(o);
  }
  const create = el(doc, "option", "New collection…");
  create.value = NEW;
  select.appendChild(create);
  select.value = choices?.lastUsed ?? (collections.length ? "" : NEW);

  // A new collection: its name and the team it is shared with (or private).
  const fresh = el(doc, "div", undefined, "new-collection");
  const name = el(doc, "input");
  name.name = "new-collection";
  name.maxLength = 200;
  const nameLabel = el(doc, "label");
  nameLabel.append("New collection", name);
  const team = el(doc, "select");
  team.name = "team";
  for (const t of choices?.teams ?? []) {
    const o = el(doc, "option", `Shared with ${t.name}`);
    o.value = t.id;
    team.appendChild(o);
  }
  const priv = el(doc, "option", "Private (only me)");
  priv.value = "";
  team.appendChild(priv);
  const teamLabel = el(doc, "label");
  teamLabel.append("Team", team);
  fresh.append(nameLabel, teamLabel);
  const syncNew = () => {
    fresh.hidden = select.value !== NEW;
  };
  select.addEventListener("change", syncNew);
  syncNew();

  const collectionLabelEl = el(doc, "label");
  collectionLabelEl.append("Collection", select);
  const fields = fieldsOf(doc, null);
  const error = errorLine(doc);
  const { row, submit } = buttons(doc, "Save", hooks.onCancel);
  form.append(collectionLabelEl, fresh, ...fields.nodes, error, row);

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    // A script cannot press the button for the reader: requestSubmit() and synthetic clicks are not trusted.
    const submitter = (e as SubmitEvent).submitter;
    if (!e.isTrusted || (submitter && submitter !== submit)) return;
    const values = fields.read();
    if (select.value === NEW) {
      const n = name.value.trim();
      if (!n) {
        error.textContent = "Name the new collection.";
        name.focus();
        return;
      }
      hooks.onSubmit({ ...values, collection: { create: n, teamId: team.value || null } });
      return;
    }
    if (!select.value) {
      error.textContent = "Choose a collection to save into.";
      select.focus();
      return;
    }
    hooks.onSubmit({ ...values, collection: { id: select.value } });
  });
  return formHandle(form, error, submit);
}

/** Editing a saved highlight's note, tags and colour. */
export function renderEditForm(doc: Document, initial: HighlightFields, hooks: { onSubmit(fields: HighlightFields): void; onCancel(): void }): FormHandle {
  const form = el(doc, "form");
  form.setAttribute("aria-label", "Edit the highlight");
  form.appendChild(el(doc, "h2", "Edit the highlight"));
  const fields = fieldsOf(doc, initial);
  const error = errorLine(doc);
  const { row, submit } = buttons(doc, "Save", hooks.onCancel);
  form.append(...fields.nodes, error, row);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!e.isTrusted) return;
    hooks.onSubmit(fields.read());
  });
  return formHandle(form, error, submit);
}

/** A saved highlight's card: the passage, its note and tags, who saved it, with Edit and Delete. */
export function renderSavedCard(
  doc: Document,
  saved: { exact: string; note: string; tags: string[]; creator: string | null; collection: string | null },
  hooks: { onEdit(): void; onDelete(): void; onClose(): void },
): HTMLElement {
  const box = el(doc, "div", undefined, "saved");
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", "Gloss: saved highlight");
  box.tabIndex = -1;
  box.appendChild(el(doc, "div", "Saved highlight", "kind"));
  if (saved.exact) box.appendChild(el(doc, "blockquote", saved.exact, "exact"));
  box.appendChild(el(doc, "p", saved.note || "No note.", saved.note ? "note" : "meta note"));
  if (saved.tags.length) {
    const ul = el(doc, "ul", undefined, "tags");
    ul.setAttribute("aria-label", "Tags");
    for (const t of saved.tags) ul.appendChild(el(doc, "li", t));
    box.appendChild(ul);
  }
  const by = [saved.creator ? `by ${saved.creator}` : null, saved.collection ? `in ${saved.collection}` : null].filter(Boolean).join(" ");
  if (by) box.appendChild(el(doc, "div", `Saved ${by}`, "meta"));
  const error = errorLine(doc);
  box.appendChild(error);
  const row = el(doc, "div", undefined, "row");
  const edit = el(doc, "button", "Edit", "edit");
  edit.type = "button";
  edit.addEventListener("click", (e) => e.isTrusted && hooks.onEdit());
  const del = el(doc, "button", "Delete", "delete");
  del.type = "button";
  del.addEventListener("click", (e) => {
    if (!e.isTrusted) return;
    // Deleting is asked twice: the first press turns the button into the question.
    if (del.dataset.confirm) hooks.onDelete();
    else {
      del.dataset.confirm = "1";
      del.textContent = "Delete for the whole team?";
    }
  });
  row.append(edit, del);
  box.appendChild(row);
  const close = el(doc, "button", "×", "close");
  close.type = "button";
  close.setAttribute("aria-label", "Close the card");
  close.addEventListener("click", (e) => e.isTrusted && hooks.onClose());
  box.appendChild(close);
  return box;
}
