// The extension's own frame in the page (frame.html?role=card|save). It shows what the team knows:
// hover cards, the save button and form, a saved highlight's note. The page can see the iframe
// element but not inside it; only the content script that created it can talk to it (see
// shared/frame-protocol.ts), and it fetches team data from the worker itself.
import { readAnnotation } from "../shared/annotation";
import type { Annotation } from "../shared/api.gen";
import { buildAnnotation } from "../shared/annotation";
import { type CardView, viewOfCard } from "../shared/card-view";
import type { ContentToFrame, FrameEvent, FrameRole } from "../shared/frame-protocol";
import { isFrameHello } from "../shared/frame-protocol";
import type { Color } from "../shared/highlight-style";
import { send } from "../ui/send";
import { el, renderCard } from "./card";
import { type FormHandle, renderEditForm, renderSaveForm, renderSavedCard, type SaveRequest } from "./save-form";

const role: FrameRole = new URLSearchParams(location.search).get("role") === "save" ? "save" : "card";
const root = document.getElementById("root")!;
let port: MessagePort | null = null;
/** The request being answered; a newer one makes an older answer moot. */
let latest = 0;
/** What takes focus when the content script gives the frame focus (the keyboard opened it). */
let focusTarget: HTMLElement | null = null;

function post(event: FrameEvent): void {
  port?.postMessage(event);
}

/** Report the content's size (the content script sizes and places the iframe). */
function size(): { width: number; height: number } {
  const box = root.getBoundingClientRect();
  return { width: Math.ceil(box.width), height: Math.ceil(box.height) };
}

function show(content: HTMLElement, rid: number, focus: HTMLElement | null): void {
  if (rid !== latest) {
    post({ rid, type: "reply", ok: false });
    return;
  }
  root.replaceChildren(content);
  document.body.classList.toggle("pill-body", content.classList.contains("pill"));
  document.title = content.getAttribute("aria-label") ?? "Gloss";
  // Focus only works once the frame is visible: the content script asks for it after placing it
  // (or now, when the frame already has it: a card redrawn after an edit).
  focusTarget = focus;
  if (focus && document.hasFocus()) focus.focus({ preventScroll: true });
  post({ rid, type: "reply", ok: true, ...size() });
}

function resized(): void {
  post({ type: "size", ...size() });
}

// ---- Cards ------------------------------------------------------------------------------------------

async function card(rid: number, query: Extract<ContentToFrame, { type: "card" }>): Promise<void> {
  const reply = await send({ type: "frame/card", query: query.query });
  const view: CardView = reply.ok ? viewOfCard(reply.value) : query.fallback;
  const box = renderCard(document, view);
  box.querySelector(".close")?.addEventListener("click", (e) => e.isTrusted && post({ type: "close", keyboard: (e as MouseEvent).detail === 0 }));
  show(box, rid, query.focus ? box : null);
}

function creatorName(a: Annotation): string | null {
  const c = a.creator as { name?: unknown } | string | null | undefined;
  if (c && typeof c === "object" && typeof c.name === "string") return c.name;
  return null;
}

async function savedCard(rid: number, q: Extract<ContentToFrame, { type: "saved-card" }>): Promise<void> {
  const reply = await send({ type: "frame/annotation", id: q.annotationId });
  if (!reply.ok) {
    const box = el(document, "div", `Gloss could not load this highlight: ${reply.error.message}`, "saved");
    box.setAttribute("role", "status");
    show(box, rid, null);
    return;
  }
  const annotation = reply.value;
  const h = readAnnotation(annotation);
  const showCard = (focusFirst: boolean) => {
    const box = renderSavedCard(document, { exact: q.exact, note: h.note, tags: h.tags, creator: creatorName(annotation), collection: null }, {
      onEdit: () => edit(),
      onDelete: () => void remove(box),
      onClose: () => post({ type: "close", keyboard: false }),
    });
    show(box, rid, focusFirst ? box : null);
  };
  const edit = () => {
    let form: FormHandle | null = null;
    form = renderEditForm(document, { note: h.note, tags: h.tags, color: h.color as Color }, {
      onCancel: () => showCard(true),
      onSubmit: async (fields) => {
        form?.busy(true);
        const r = await send({ type: "frame/update-annotation", id: h.id, ...fields });
        form?.busy(false);
        if (!r.ok) {
          form?.showError(`Not saved: ${r.error.message}`);
          resized();
          return;
        }
        Object.assign(h, readAnnotation(r.value), { color: fields.color });
        post({ type: "updated", annotation: { id: h.id, color: fields.color } });
        showCard(true);
      },
    });
    root.replaceChildren(form.form);
    (form.form.querySelector("textarea") as HTMLElement | null)?.focus();
    resized();
  };
  const remove = async (box: HTMLElement) => {
    const r = await send({ type: "frame/delete-annotation", id: h.id });
    if (!r.ok) {
      const error = box.querySelector(".error");
      if (error) error.textContent = `Not deleted: ${r.error.message}`;
      resized();
      return;
    }
    post({ type: "deleted", id: h.id });
  };
  showCard(q.focus);
}

// ---- Saving -----------------------------------------------------------------------------------------

function saveButton(rid: number): void {
  const b = el(document, "button", "Save to Gloss", "pill");
  b.type = "button";
  b.addEventListener("click", (e) => e.isTrusted && post({ type: "open-form", keyboard: e.detail === 0 }));
  show(b, rid, null);
}

async function saveForm(rid: number, q: Extract<ContentToFrame, { type: "save-form" }>): Promise<void> {
  const choices = await send({ type: "frame/collections", url: q.url });
  const form = renderSaveForm(document, choices.ok ? choices.value : null, {
    onCancel: () => post({ type: "close", keyboard: true }),
    onSubmit: (req) => void submit(req),
  });
  if (!choices.ok) form.showError(choices.error.message);
  const submit = async (req: SaveRequest) => {
    form.busy(true);
    let collectionId: string;
    if ("create" in req.collection) {
      const created = await send({ type: "frame/create-collection", name: req.collection.create, teamId: req.collection.teamId });
      if (!created.ok) {
        form.busy(false);
        form.showError(`Could not create the collection: ${created.error.message}`);
        resized();
        return;
      }
      collectionId = created.value.id;
    } else collectionId = req.collection.id;
    const annotation = buildAnnotation({ url: q.url, title: q.title, selectors: q.selectors, note: req.note, tags: req.tags, color: req.color });
    const reply = await send({ type: "frame/save-annotation", collectionId, annotation, url: q.url });
    form.busy(false);
    if (!reply.ok) {
      form.showError(`Not saved: ${reply.error.message}`);
      resized();
      return;
    }
    const saved = readAnnotation(reply.value);
    post({ type: "saved", annotation: { id: saved.id, color: req.color, selectors: saved.selectors } });
  };
  form.form.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && e.isTrusted) post({ type: "close", keyboard: true });
  });
  show(form.form, rid, q.focus ? (form.form.querySelector("select") as HTMLElement) : null);
}

// ---- The channel ------------------------------------------------------------------------------------

function handle(m: ContentToFrame): void {
  latest = m.rid;
  switch (m.type) {
    case "card":
      void card(m.rid, m);
      return;
    case "saved-card":
      void savedCard(m.rid, m);
      return;
    case "save-button":
      saveButton(m.rid);
      return;
    case "save-form":
      void saveForm(m.rid, m);
      return;
    case "focus": {
      const target = focusTarget?.isConnected ? focusTarget : (root.firstElementChild as HTMLElement | null);
      target?.focus({ preventScroll: true });
      post({ rid: m.rid, type: "reply", ok: true, ...size() });
      return;
    }
    case "clear":
      root.replaceChildren();
      post({ rid: m.rid, type: "reply", ok: false });
      return;
  }
}

// Escape anywhere in the frame closes it and gives focus back to the page; Tab stays inside.
document.addEventListener("keydown", (e) => {
  if (!e.isTrusted || !port) return;
  if (e.key === "Escape") {
    e.preventDefault();
    post({ type: "close", keyboard: true });
    return;
  }
  // The page's keys for moving between highlights work from inside the card too.
  if (role === "card" && e.altKey && e.shiftKey && !e.ctrlKey && !e.metaKey && (e.code === "KeyN" || e.code === "KeyP")) {
    e.preventDefault();
    post({ type: "move", delta: e.code === "KeyN" ? 1 : -1 });
    return;
  }
  if (e.key === "Tab") {
    const focusable = Array.from(root.querySelectorAll<HTMLElement>("a[href], button:not([disabled]), input, select, textarea")).filter((x) => !x.closest("[hidden]"));
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !root.contains(active) || active === root.firstElementChild)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  }
});

new ResizeObserver(() => port && resized()).observe(root);
// The card stays while the pointer is on it: say when it comes and goes.
document.documentElement.addEventListener("mouseenter", (e) => e.isTrusted && post({ type: "pointer", over: true }));
document.documentElement.addEventListener("mouseleave", (e) => e.isTrusted && post({ type: "pointer", over: false }));

// The handshake: a port and a nonce from the window that embeds us, confirmed by the worker.
window.addEventListener("message", (e: MessageEvent) => {
  if (port || e.source !== window.parent || !isFrameHello(e.data) || e.ports.length !== 1) return;
  const candidate = e.ports[0]!;
  void send({ type: "frame/claim", nonce: e.data.nonce, role }).then((reply) => {
    if (!reply.ok || port) {
      candidate.close();
      return;
    }
    port = candidate;
    port.onmessage = (ev: MessageEvent) => handle(ev.data as ContentToFrame);
    post({ rid: 0, type: "reply", ok: true, ...size() });
  });
});
