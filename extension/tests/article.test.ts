import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { JSDOM } from "jsdom";
import { extractArticle, extractScope, findArticle } from "../src/content/extract/article";
import { BLOCK_BREAK, type Extraction } from "../src/content/extract/extract";
import { toDomPoint, withinOneBlock } from "../src/content/extract/offsets";
import { dom, inlineBlock, inlineHidden } from "./dom";

const opts = { isHidden: inlineHidden, isBlockStyled: inlineBlock };

const lorem = (n: number, word = "story") =>
  Array.from({ length: n }, (_, i) => `The council said the ${word} number ${i} of the plan would be debated again, and residents were asked for comments on the whole proposal.`).join(" ");

/** A news page: chrome around an article with a title, standfirst, body and a captioned figure. */
function newsPage(): string {
  return `
    <header class="site-header"><a href="/">The Daily</a><nav><a href="/">Home</a><a href="/w">World</a></nav>
      <button>Menu</button><a href="/signin">Sign in</a></header>
    <div id="cookie-banner">We use cookies. <button>Accept</button></div>
    <main>
      <article>
        <h1>Council approves the river bridge</h1>
        <p class="standfirst">The vote ends a ten-year argument over the crossing.</p>
        <div class="share-bar"><a href="#">Share</a> <a href="#">Email</a> <a href="#">Print</a></div>
        <p>${lorem(3, "bridge")}</p>
        <figure><img src="bridge.jpg" alt=""><figcaption>The old ferry landing at dawn.</figcaption></figure>
        <p>${lorem(3, "ferry")}</p>
        <p>Mayor Ana Ruiz said the <a href="/b">bridge</a> would open in 2027.</p>
      </article>
      <aside class="most-read"><h2>Most read</h2><ol><li><a href="/1">Celebrity chef opens a bakery</a></li>
        <li><a href="/2">Ten tips for a greener garden</a></li></ol></aside>
    </main>
    <footer><p>Copyright The Daily. Follow us. Newsletter.</p></footer>
    <script>var comments = {"count": 12, "text": "${"json payload ".repeat(200)}"};</script>`;
}

function assertExactMap(ex: Extraction): void {
  let last = -1;
  for (const s of ex.segments) {
    assert.ok(s.start >= last, "segments in order");
    assert.equal(ex.text.slice(s.start, s.end), s.node.data, "a segment is its node's data");
    last = s.end;
  }
  // Every character maps to its node and character, and back.
  for (const s of ex.segments) {
    for (let o = s.start; o < s.end; o++) {
      const p = toDomPoint(ex, o)!;
      assert.equal(p.node, s.node);
      assert.equal(p.node.data[p.offset], ex.text[o]);
    }
  }
  // What lies between two segments is a block break or nothing.
  for (let i = 1; i < ex.segments.length; i++) {
    const gap = ex.text.slice(ex.segments[i - 1]!.end, ex.segments[i]!.start);
    assert.ok(gap === "" || gap === BLOCK_BREAK, `gap ${JSON.stringify(gap)}`);
  }
}

test("the article is kept: title, standfirst, body, figure caption", () => {
  const d = dom(newsPage());
  const ex = extractArticle(d, opts);
  assert.ok(ex.scope.nodes, "an article was found");
  for (const want of ["Council approves the river bridge", "The vote ends a ten-year argument", "the bridge number 2", "The old ferry landing at dawn.", "Mayor Ana Ruiz said the bridge would open in 2027."]) {
    assert.ok(ex.text.includes(want), `keeps ${want}: ${JSON.stringify(ex.text.slice(0, 300))}`);
  }
});

test("the page's chrome is dropped: menus, share bar, most read, footer, cookie banner, scripts", () => {
  const d = dom(newsPage());
  const ex = extractArticle(d, opts);
  for (const bad of ["The Daily", "Home", "Menu", "Sign in", "cookies", "Accept", "Share", "Email", "Print", "Most read", "Celebrity chef", "greener garden", "Copyright", "Newsletter", "json payload"]) {
    assert.ok(!ex.text.includes(bad), `drops ${bad}`);
  }
});

test("a row of links and a sign-up form's title inside the article are chrome too", () => {
  const d = dom(`<article><h1>Harbour plan</h1><p>${lorem(4)}</p>
    <p class="note">A version of this story appears in print.<span> <a href="/r">Order Reprints</a> | <a href="/p">Today's Paper</a> | <a href="/s">Subscribe</a></span></p>
    <p>${lorem(3)} See <a href="/a">Paris</a>, <a href="/b">London</a> and <a href="/c">Rome</a> for more.</p>
    <div class="signup"><p>Sign up for our newsletter</p><form action="/n"><input name="e"></form></div>
    <p>${lorem(3)}</p></article>`);
  const ex = extractArticle(d, opts);
  assert.ok(ex.scope.nodes);
  for (const bad of ["Order Reprints", "Today's Paper", "Subscribe", "Sign up for our newsletter"]) assert.ok(!ex.text.includes(bad), bad);
  for (const want of ["A version of this story appears in print.", "See Paris, London and Rome for more."]) assert.ok(ex.text.includes(want), `${want}: ${JSON.stringify(ex.text)}`);
});

test("the page is not changed by finding its article", () => {
  const d = dom(newsPage());
  const before = d.documentElement.outerHTML;
  extractArticle(d, opts);
  assert.equal(d.documentElement.outerHTML, before);
});

test("blocks never run together: heading, paragraphs, caption, credit, list items, cells", () => {
  const d = dom(`<article><h1>Harbour plan</h1><p>${lorem(4)}</p>
    <figure><img src="a.jpg"><figcaption>Boats at rest<span class="credit">Photo: Lee Park</span></figcaption></figure>
    <p>${lorem(2)}</p><ul><li>Paris</li><li>London</li></ul>
    <table><tr><td>Berlin</td><td>Madrid</td></tr></table><p>${lorem(2)}</p></article>`);
  const ex = extractArticle(d, opts);
  assertExactMap(ex);
  assert.ok(ex.text.includes(`Paris${BLOCK_BREAK}London`), JSON.stringify(ex.text));
  assert.ok(ex.text.includes(`Berlin${BLOCK_BREAK}Madrid`));
  assert.ok(!ex.text.includes("ParisLondon") && !ex.text.includes("BerlinMadrid"));
  // A span across two blocks is rejected; one inside a block is kept.
  const p = ex.text.indexOf("Paris");
  assert.equal(withinOneBlock(ex, p, p + `Paris${BLOCK_BREAK}London`.length), false);
  assert.equal(withinOneBlock(ex, p, p + 5), true);
  const h = ex.text.indexOf("Harbour plan");
  assert.equal(withinOneBlock(ex, h, h + "Harbour plan".length), true);
});

test("a credit styled as a block is its own block, whatever its tag", () => {
  const d = dom(`<figure><figcaption>Boats at rest<span style="display:block">Photo: Lee Park</span></figcaption></figure>`);
  const ex = extractScope({ root: d.body, container: d.body, nodes: null, title: null }, opts);
  assert.equal(ex.text, `Boats at rest${BLOCK_BREAK}Photo: Lee Park`);
});

test("the credit inside a caption is its own block when it is a block", () => {
  const d = dom(`<article><h1>Harbour plan</h1><p>${lorem(4)}</p>
    <figure><figcaption><p>Boats at rest</p><p>Photo: Lee Park</p></figcaption></figure><p>${lorem(2)}</p></article>`);
  const ex = extractArticle(d, opts);
  assert.ok(ex.text.includes(`Boats at rest${BLOCK_BREAK}Photo: Lee Park`), JSON.stringify(ex.text));
});

test("the offset map points at the live page's nodes, exactly, with emoji and inline markup", () => {
  const d = dom(`<nav><a href="/">Home</a></nav><article><h1>Title 😀 here</h1>
    <p>${lorem(3)} <b>Bold</b> <a href="#">link</a> 𝒳 astral.</p><p>${lorem(2)}</p></article>`);
  const ex = extractArticle(d, opts);
  assertExactMap(ex);
  for (const s of ex.segments) assert.ok(s.node.isConnected && d.body.contains(s.node), "a live node of the page");
  const i = ex.text.indexOf("astral");
  const p = toDomPoint(ex, i)!;
  assert.equal(p.node.data.slice(p.offset, p.offset + 6), "astral");
  assert.ok(ex.text.startsWith("Title 😀 here"));
});

test("text left out inside a block still separates what is on each side", () => {
  const d = dom(`<p>Alpha <span>gone</span> Beta</p>`);
  const p = d.body.querySelector("p")!;
  const nodes = new Set([p.firstChild as Text, p.lastChild as Text]);
  const ex = extractScope({ root: d.body, container: d.body, nodes, title: null }, opts);
  assert.equal(ex.text, `Alpha ${BLOCK_BREAK} Beta`);
  assertExactMap(ex);
});

test("without an article, the page's own text minus its chrome is read (a results list)", () => {
  const d = dom(`<header><a href="/">Search site</a><form><input name="q"><button>Go</button></form></header>
    <nav><a href="/">Home</a></nav><div role="banner">Banner text</div>
    <main><h1>Results for bridges</h1><ol><li><a href="/1">Bridge one</a> A short note.</li><li><a href="/2">Bridge two</a> Another.</li></ol></main>
    <aside>Sponsored links</aside><div role="complementary">Related</div><footer>Footer text</footer>`);
  const ex = extractArticle(d, opts);
  assert.equal(ex.scope.nodes, null, "no article");
  assertExactMap(ex);
  for (const want of ["Results for bridges", "Bridge one", "A short note.", "Bridge two"]) assert.ok(ex.text.includes(want), want);
  for (const bad of ["Search site", "Go", "Home", "Banner text", "Sponsored", "Related", "Footer text"]) assert.ok(!ex.text.includes(bad), bad);
});

test("without <main>, the fallback reads the body minus its chrome", () => {
  const d = dom(`<header>Site name</header><div><p>Only a short page.</p></div><footer>About us</footer>`);
  const ex = extractArticle(d, opts);
  assert.equal(ex.scope.nodes, null);
  assert.equal(ex.text, "Only a short page.");
});

test("a section's own header and footer are not page chrome", () => {
  const d = dom(`<main><section><header>Section head</header><p>Text.</p><footer>Section foot</footer></section></main>`);
  const ex = extractArticle(d, opts);
  assert.ok(ex.text.includes("Section head") && ex.text.includes("Section foot"), ex.text);
});

test("the title heading the reader sees is kept even when Readability drops it", () => {
  const d = dom(`<div class="top"><h1>Ministers agree a new budget</h1></div>
    <div class="content"><p>${lorem(4)}</p><p>${lorem(4)}</p></div>`);
  d.title = "Ministers agree a new budget - The Daily";
  const scope = findArticle(d);
  assert.ok(scope.nodes);
  const ex = extractArticle(d, opts);
  assert.ok(ex.text.startsWith("Ministers agree a new budget"), JSON.stringify(ex.text.slice(0, 80)));
});

// ---- Real pages: Mozilla Readability's test pages, beside the repository (shared/).
const PAGES = fileURLToPath(new URL("../../../shared/readability-test-pages/", import.meta.url));

function realPage(name: string): { doc: Document; expected: string } {
  const dir = `${PAGES}${name}/`;
  assert.ok(existsSync(dir), `the test pages are missing: expected ${PAGES} (shared/ beside the repository)`);
  const doc = new JSDOM(readFileSync(`${dir}source.html`, "utf8"), { url: "http://fakehost/test/page.html" }).window.document;
  const expectedDoc = new JSDOM(readFileSync(`${dir}expected.html`, "utf8")).window.document;
  return { doc, expected: (expectedDoc.body.textContent ?? "").replace(/\s+/g, "") };
}

for (const name of ["bbc-1", "guardian-1", "nytimes-1", "wapo-1", "medium-1"]) {
  test(`real page ${name}: every block read lies in the expected article, and the map is exact`, () => {
    const { doc, expected } = realPage(name);
    const ex = extractArticle(doc, opts);
    assert.ok(ex.scope.nodes, "an article was found");
    assertExactMap(ex);
    const blocks = ex.text.split(BLOCK_BREAK).map((b) => b.replace(/\s+/g, "")).filter(Boolean);
    const inside = blocks.filter((b) => expected.includes(b));
    // The title heading is the only block that may be outside Readability's own article text.
    assert.ok(blocks.length - inside.length <= 1, `outside: ${blocks.filter((b) => !expected.includes(b)).slice(0, 5).join(" | ")}`);
    assert.ok(inside.join("").length >= expected.length * 0.9, "most of the article is read");
  });
}
