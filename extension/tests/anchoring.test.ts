import assert from "node:assert/strict";
import { test } from "node:test";
import { anchor, describe, selectorsOf } from "../src/content/anchoring/anchor";
import { buildAnnotation, readAnnotation } from "../src/content/anchoring/annotation";
import { editDistance, searchFuzzy } from "../src/content/anchoring/fuzzy";

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

test("fuzzy search finds the best match with its start", () => {
  const m = searchFuzzy("xx hello wrld yy", "hello world", 2);
  assert.equal(m.length, 1);
  assert.deepEqual({ start: m[0]!.start, end: m[0]!.end, errors: m[0]!.errors }, { start: 3, end: 13, errors: 1 });
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.deepEqual(searchFuzzy("abc", "zzzzzz", 1), []);
});

test("W3C annotation round-trips selectors, note, tags and colour", () => {
  const selectors = describe(TEXT, 4, 13);
  const json = buildAnnotation({ url: "http://x.test/a", selectors, note: "check", tags: ["ai", "cost"], colour: "blue" });
  assert.equal(json["@context"], "http://www.w3.org/ns/anno.jsonld");
  assert.equal(json.type, "Annotation");
  assert.equal(json.color, "blue");
  // One note body at most: the server refuses a second non-tagging body.
  const bodies = json.body as Array<{ purpose: string }>;
  assert.deepEqual(bodies.map((b) => b.purpose), ["commenting", "tagging", "tagging"]);
  const back = readAnnotation({ ...json, id: "a1", created: "2025-01-01T00:00:00Z", modified: "2025-01-01T00:00:00Z" });
  assert.equal(back.colour, "blue");
  assert.equal(back.note, "check");
  assert.deepEqual(back.tags, ["ai", "cost"]);
  const { quote, position } = selectorsOf(back.selectors);
  assert.equal(quote!.exact, "committee");
  assert.equal(position!.start, 4);
});
