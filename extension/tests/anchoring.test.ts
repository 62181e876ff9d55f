import assert from "node:assert/strict";
import { test } from "node:test";
import { anchor, describe, selectorsOf } from "../src/content/anchoring/anchor";
import { buildAnnotation, readAnnotation } from "../src/shared/annotation";
import { contextScore, matchQuote } from "../src/content/anchoring/match-quote";

const TEXT =
  "The committee met on Tuesday to discuss inference costs. Reasoning models were the main topic. " +
  "Later the committee met again on Friday to discuss training budgets and inference costs for next year.";

test("describe gives quote (exact, prefix, suffix) and position selectors", () => {
  const start = TEXT.indexOf("Reasoning models");
  const [q, p] = describe(TEXT, start, start + 16);
  assert.equal(q.exact, "Reasoning models");
  assert.ok(TEXT.slice(0, start).endsWith(q.prefix!));
  assert.ok(TEXT.slice(start + 16).startsWith(q.suffix!));
  assert.deepEqual(p, { type: "TextPositionSelector", start, end: start + 16 });
});

test("anchors by position when the text there is unchanged", () => {
  const start = TEXT.indexOf("Reasoning");
  const [q, p] = describe(TEXT, start, start + 9);
  assert.deepEqual(anchor(TEXT, q, p), { start, end: start + 9, method: "position", score: 1 });
});

test("anchors by exact quote, choosing the occurrence whose context fits", () => {
  const second = TEXT.lastIndexOf("inference costs");
  const [q, p] = describe(TEXT, second, second + 15);
  const edited = "NEW LEAD PARAGRAPH. " + TEXT;
  const a = anchor(edited, q, p)!;
  assert.equal(a.method, "quote");
  assert.equal(a.start, second + 20);
});

test("anchors fuzzily after a small edit inside the quote", () => {
  const start = TEXT.indexOf("Reasoning models were the main topic");
  const [q, p] = describe(TEXT, start, start + 36);
  const edited = TEXT.replace("Reasoning models were the main topic", "Reasoning models were the key topic");
  const a = anchor(edited, q, p)!;
  assert.equal(a.method, "fuzzy");
  assert.equal(edited.slice(a.start, a.end), "Reasoning models were the key topic");
});

test("a passage that is gone is an orphan (null), never a wrong guess", () => {
  const start = TEXT.indexOf("training budgets");
  const [q, p] = describe(TEXT, start, start + 16);
  assert.equal(anchor("A completely different page about gardening and tomatoes.", q, p), null);
});

test("fuzzy: typos of every kind (substituted, dropped, added letters) still find the passage", () => {
  const passage = "Later the committee met again on Friday to discuss training budgets";
  const start = TEXT.indexOf(passage);
  const [q, p] = describe(TEXT, start, start + passage.length);
  const typo = "Later the comittee met agian on Fridays to discus trainng budgets";
  const edited = TEXT.replace(passage, typo);
  const a = anchor(edited, q, p)!;
  assert.equal(a.method, "fuzzy");
  assert.equal(edited.slice(a.start, a.end), typo);
});

test("fuzzy: of two equally close passages, the prefix and suffix choose, over the position", () => {
  const text = "Alpha team said the budgat rose sharply this year. Beta team said the budgot rose sharply again.";
  const quote = { type: "TextQuoteSelector" as const, exact: "the budget rose sharply", prefix: "Beta team said ", suffix: " again." };
  // Both passages are one letter off; the old position points at the first, the context at the second.
  const a = anchor(text, quote, { type: "TextPositionSelector", start: 16, end: 39 })!;
  assert.equal(a.method, "fuzzy");
  assert.equal(a.start, text.indexOf("the budgot"));
  const b = anchor(text, { ...quote, prefix: "Alpha team said ", suffix: " this year." }, undefined)!;
  assert.equal(b.start, text.indexOf("the budgat"));
});

test("exact: with the same context everywhere, the position hint breaks the tie", () => {
  const text = "inference costs. inference costs. inference costs.";
  const quote = { type: "TextQuoteSelector" as const, exact: "inference costs", prefix: "", suffix: "" };
  const a = anchor(text, quote, { type: "TextPositionSelector", start: 30, end: 45 })!;
  assert.equal(a.method, "quote");
  assert.equal(a.start, 34);
});

test("orphans: too many edits, or a poor quote whose context disagrees, are not guessed", () => {
  const passage = "Reasoning models were the main topic";
  const start = TEXT.indexOf(passage);
  const [q, p] = describe(TEXT, start, start + passage.length);
  // More than a quarter of the quote changed: no candidate at all.
  assert.equal(anchor(TEXT.replace(passage, "Small models were a side issue"), q, p), null);
  // Eight edits (of 36) with other words around it: a candidate, but below the least score.
  const poor = "Reasonable modes were then mean topics";
  const elsewhere = `Gardening notes for spring. ${poor}, said nobody at the allotment.`;
  assert.ok(matchQuote(elsewhere, q.exact, { prefix: q.prefix, suffix: q.suffix, hint: p.start }, 9), "a candidate within the edit budget");
  assert.equal(anchor(elsewhere, q, p), null);
  // The same poor quote where its prefix and suffix still stand is found.
  const kept = TEXT.replace(passage, poor);
  const a = anchor(kept, q, p)!;
  // (The trailing "s" is an insertion after the quote's last letter: fewer edits without it.)
  assert.equal(kept.slice(a.start, a.end), "Reasonable modes were then mean topic");
  // And a close quote (two edits) is found even when everything around it was rewritten.
  const close = `Gardening notes for spring. Reasoning models were the mainn topics, said nobody at the allotment.`;
  assert.equal(anchor(close, q, p)?.method, "fuzzy");
});

test("offsets are UTF-16 units, the browser's, around emoji and astral characters", () => {
  const text = "😀 Intro 𝒳. The cost of inference will shape adoption. 🎉 End.";
  const quote = { type: "TextQuoteSelector" as const, exact: "the cost of inference would shape adoption", prefix: "𝒳. ", suffix: ". 🎉" };
  const a = anchor(text, quote, undefined)!;
  assert.equal(a.method, "fuzzy");
  assert.equal(text.slice(a.start, a.end), "The cost of inference will shape adoption");
});

test("context score: 1 when equal or absent, lower with each edit", () => {
  assert.equal(contextScore("met on Tuesday", "met on Tuesday"), 1);
  assert.equal(contextScore("anything", ""), 1);
  assert.equal(contextScore("", "expected"), 0);
  const one = contextScore("met on Tusday", "met on Tuesday");
  assert.ok(one > 0.9 && one < 1, String(one));
  assert.ok(contextScore("completely other", "met on Tuesday") < 0.5);
});

test("W3C annotation round-trips selectors, note, tags and color", () => {
  const selectors = describe(TEXT, 4, 13);
  const json = buildAnnotation({ url: "http://x.test/a", title: " Rates: the committee ", selectors, note: "check", tags: ["ai", "cost"], color: "blue" });
  assert.equal(json["@context"], "http://www.w3.org/ns/anno.jsonld");
  assert.equal(json.target.title, "Rates: the committee");
  assert.equal(buildAnnotation({ url: "http://x.test/a", title: "  ", selectors, note: "", tags: [], color: "blue" }).target.title, undefined);
  assert.equal(json.type, "Annotation");
  assert.equal(json.color, "blue");
  // One note body at most: the server refuses a second non-tagging body.
  const bodies = json.body as Array<{ purpose: string }>;
  assert.deepEqual(bodies.map((b) => b.purpose), ["commenting", "tagging", "tagging"]);
  const back = readAnnotation({ ...json, id: "a1", created: "2025-01-01T00:00:00Z", modified: "2025-01-01T00:00:00Z" });
  assert.equal(back.color, "blue");
  assert.equal(back.note, "check");
  assert.deepEqual(back.tags, ["ai", "cost"]);
  const { quote, position } = selectorsOf(back.selectors);
  assert.equal(quote!.exact, "committee");
  assert.equal(position!.start, 4);
});
