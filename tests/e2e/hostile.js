// A page that attacks Gloss from its own script (tests/e2e/test_hostile_page.py): it fakes the
// reader's keys, pointer, focus and selection, reads everything it can reach (DOM, attributes,
// open shadow roots, frames), forges the frame handshake and embeds Gloss's frame itself. What it
// found is in `window.__hostile`; `__attack(phase)` runs it.
(() => {
  const H = (window.__hostile = { leaks: [], replies: [], frames: [], done: {}, storedBy: [] });
  // What it must never read comes in the URL, so that it is nowhere in the page itself.
  const secrets = JSON.parse(new URLSearchParams(location.search).get("secrets") || "[]");
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (f) => { while (!f()) await sleep(25); };
  function everything() {
    const parts = [document.documentElement.outerHTML];
    const walk = (root) => {
      for (const el of root.querySelectorAll("*")) {
        if (el.shadowRoot) { parts.push(el.shadowRoot.innerHTML); walk(el.shadowRoot); }
        if (el.tagName === "IFRAME") {
          try {
            const d = el.contentDocument;
            // A frame still loading shows its initial about:blank, which is the page's own.
            if (d && d.URL === "about:blank") continue;
            H.frames.push(d ? "readable" : "null");
            if (d) parts.push(d.documentElement.outerHTML);
          } catch (e) { H.frames.push("blocked"); }
        }
      }
    };
    walk(document);
    for (const f of Array.from(window.frames)) {
      try { parts.push(f.document.documentElement.outerHTML); } catch (e) { /* cross-origin */ }
    }
    return parts.join("\n");
  }
  function scan() {
    const all = everything();
    for (const s of secrets) if (all.includes(s) && !H.leaks.includes(s)) H.leaks.push(s);
  }
  new MutationObserver(scan).observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
  const key = (code, opts = {}) => {
    for (const t of [window, document, document.body, document.activeElement || document.body]) {
      t.dispatchEvent(new KeyboardEvent("keydown", { key: code.slice(3), code, altKey: true, shiftKey: true, bubbles: true, cancelable: true, ...opts }));
    }
  };
  function selectText(text) {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const i = t.data.indexOf(text);
      if (i !== -1) { getSelection().setBaseAndExtent(t, i, t, i + text.length); return t.parentElement; }
    }
  }
  function forge(frame, rid) {
    const ch = new MessageChannel();
    ch.port1.onmessage = (e) => H.replies.push(e.data);
    frame.contentWindow.postMessage({ gloss: "frame-hello", nonce: "0".repeat(48) }, "*", [ch.port2]);
    // Drive it as if the handshake had worked: a card, the save form.
    ch.port1.postMessage({ rid, type: "card", query: { kind: "entity", key: "nvidia", label: "ORG", text: "Nvidia", url: location.href }, fallback: { kind: "entity", title: "x", label: null, definition: null, aliases: [], link: null, glossary: null, knowledge: null, related: [] }, focus: false });
    ch.port1.postMessage({ rid: rid + 1, type: "save-form", url: location.href, title: "x", selectors: [{ type: "TextQuoteSelector", exact: "cost" }, { type: "TextPositionSelector", start: 0, end: 4 }], focus: false });
  }
  async function attack(phase) {
    await until(() => document.documentElement.dataset.glossState === "annotated");
    // The reader's keys, faked: next highlight, Escape.
    key("KeyN");
    await sleep(600);
    // The pointer, faked, over every highlight the page can see in the highlight registry.
    for (const name of CSS.highlights.keys()) {
      for (const r of CSS.highlights.get(name)) {
        const b = r.getBoundingClientRect();
        const el = document.elementFromPoint(b.left + 2, b.top + 2) || document.body;
        el.dispatchEvent(new MouseEvent("mousemove", { clientX: b.left + 2, clientY: b.top + 2, bubbles: true }));
        el.dispatchEvent(new MouseEvent("mouseover", { clientX: b.left + 2, clientY: b.top + 2, bubbles: true }));
      }
    }
    document.getElementById("more-link").dispatchEvent(new FocusEvent("focusin", { bubbles: true }));
    await sleep(800);
    // A selection, and the mouse and keys that end one.
    const el = selectText("the cost of inference");
    el.dispatchEvent(new MouseEvent("mouseup", { bubbles: true }));
    document.dispatchEvent(new KeyboardEvent("keyup", { key: "Shift", shiftKey: true, bubbles: true }));
    await sleep(600);
    // Whatever Gloss frames exist: forge the handshake, submit any form found, click any button.
    for (const f of Array.from(document.querySelectorAll("iframe"))) {
      forge(f, phase * 100);
      try { for (const form of f.contentDocument.querySelectorAll("form")) form.requestSubmit(); } catch (e) { /* cross-origin */ }
    }
    // Embed Gloss's own frame (its id is readable from any Gloss iframe, or known) and drive it.
    const ext = new URLSearchParams(location.search).get("ext");
    if (ext && phase === 1) {
      const own = document.createElement("iframe");
      own.id = "rogue";
      own.src = `chrome-extension://${ext}/frame.html?role=save`;
      document.body.appendChild(own);
      await new Promise((r) => own.addEventListener("load", r, { once: true }));
      forge(own, 500);
    }
    await sleep(1000);
    scan();
    H.done[phase] = true;
  }
  window.__attack = attack;
})();
