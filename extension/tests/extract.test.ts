import assert from "node:assert/strict";
import { test } from "node:test";
import { extractText } from "../src/content/extract/extract";
import { fromDomPoint, nodeIndex, toDomPoint, toRange } from "../src/content/extract/offsets";
import { dom, inlineBlock, inlineHidden } from "./dom";

const opts = { isHidden: inlineHidden, isBlockStyled: inlineBlock };

test("extraction skips navigation, scripts, styles, hidden, aria-hidden and our own UI", () => {
  const d = dom(`<nav>Home About</nav><script>var x = "code";</script><style>p{}</style>
    <p>Visible <b>bold</b> text.</p><p hidden>hidden attr</p><p style="display:none">display none</p>
    <div aria-hidden="true">aria hidden</div><gloss-card>our card</gloss-card><p>End.</p>
    <form><input value="secret"><label>Card number</label></form><p data-gloss-ui>ours too</p>`);
  const ex = extractText(d.body, opts);
  assert.ok(ex.text.includes("Visible bold text."));
  assert.ok(ex.text.includes("End."));
  for (const bad of ["Home", "code", "p{}", "hidden attr", "display none", "aria hidden", "our card", "secret", "Card number", "ours too"]) {
    assert.ok(!ex.text.includes(bad), `should skip ${bad}: ${JSON.stringify(ex.text)}`);
  }
});

test("block boundaries separate words; inline elements do not", () => {
  const d = dom(`<h1>Title</h1><p>One<i>Two</i></p><p>Three</p>`);
  const ex = extractText(d.body, opts);
  assert.equal(ex.text, "Title\n\nOneTwo\n\nThree");
});

test("every segment maps its offsets to its node's data", () => {
  const d = dom(`<p>Alpha <a href="#">beta</a> gamma</p><p>delta 😀 epsilon</p>`);
  const ex = extractText(d.body, opts);
  for (const s of ex.segments) assert.equal(ex.text.slice(s.start, s.end), s.node.data);
  const i = ex.text.indexOf("epsilon");
  const p = toDomPoint(ex, i)!;
  assert.equal(p.node.data.slice(p.offset, p.offset + 7), "epsilon");
  const range = toRange(ex, ex.text.indexOf("beta"), ex.text.indexOf("gamma") + 5, d)!;
  assert.equal(range.toString(), "beta gamma");
  const idx = nodeIndex(ex);
  assert.equal(fromDomPoint(idx, ex, p.node, p.offset), i);
});

test("a range over a block break maps to the nodes on each side", () => {
  const d = dom(`<p>first</p><p>second</p>`);
  const ex = extractText(d.body, opts);
  assert.equal(ex.text, "first\n\nsecond");
  assert.equal(toRange(ex, 0, ex.text.length, d)!.toString(), "firstsecond");
  // A span starting on the separator snaps to the next node.
  assert.equal(toRange(ex, 5, 13, d)!.toString(), "second");
});

test("skipNodes extracts only new text (incremental re-annotation)", () => {
  const d = dom(`<p>old text</p>`);
  const first = extractText(d.body, opts);
  const seen = new Set(first.segments.map((s) => s.node));
  const p = d.createElement("p");
  p.textContent = "new paragraph";
  d.body.appendChild(p);
  const second = extractText(d.body, { ...opts, skipNodes: seen });
  assert.equal(second.text, "new paragraph");
});
