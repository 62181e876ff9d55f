import assert from "node:assert/strict";
import { test } from "node:test";
import type { Entity, TermHit } from "../src/shared/api.gen";
import { DEFAULT_DISPLAY, type Display, kindOfLabel, normaliseDisplay } from "../src/shared/display";
import { pageNames, visibleSpans } from "../src/content/render/calm";
import { nearAndRest, SHORT_ARTICLE_CHARS, sendPlan, splitIntoPieces } from "../src/content/pieces";
import { type DrawSpan, spansFromAnswer } from "../src/content/render/spans";

const ent = (start: number, text: string, label: string, key = text.toLowerCase()): Entity => ({ start, end: start + text.length, text, label, key });
const term = (start: number, text: string, id: string): TermHit => ({ start, end: start + text.length, text, term_id: id, glossary_id: "g", term: text, definition: "d", url: null }) as TermHit;

// "Yahoo buys Tumblr. Yahoo said inference costs fall; French and Yahoo staff in Paris. inference"
const entities = [ent(0, "Yahoo", "ORG"), ent(11, "Tumblr", "PRODUCT"), ent(19, "Yahoo", "ORG"), ent(50, "French", "NORP"), ent(61, "Yahoo", "ORG"), ent(76, "Paris", "GPE"), ent(90, "Jane Doe", "PERSON")];
const terms = [term(30, "inference", "t1"), term(82, "inference", "t1")];
const answer = { entities, terms };
const texts = (spans: DrawSpan[]) => spans.map((s) => `${s.kind}@${s.start}`);
const all = (): DrawSpan[] => spansFromAnswer(terms, entities, 200);

test("kinds from OntoNotes labels: places are GPE, LOC, FAC; NORP its own; the rest other names", () => {
  assert.equal(kindOfLabel("PERSON"), "person");
  assert.equal(kindOfLabel("ORG"), "org");
  for (const l of ["GPE", "LOC", "FAC"]) assert.equal(kindOfLabel(l), "place");
  assert.equal(kindOfLabel("NORP"), "norp");
  for (const l of ["PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"]) assert.equal(kindOfLabel(l), "other");
});

test("by default: the first mention of each name and term, in reading order, and no NORP", () => {
  const [shown] = visibleSpans([{ spans: all(), answer }], DEFAULT_DISPLAY);
  assert.deepEqual(texts(shown!), ["entity@0", "entity@11", "term@30", "entity@76", "entity@90"]);
});

test("every mention, when the reader asks (NORP still off)", () => {
  const [shown] = visibleSpans([{ spans: all(), answer }], { ...DEFAULT_DISPLAY, firstOnly: false });
  assert.deepEqual(texts(shown!), ["entity@0", "entity@11", "entity@19", "term@30", "entity@61", "entity@76", "term@82", "entity@90"]);
});

test("a kind switched off draws none of its mentions; NORP switched on draws it", () => {
  const display: Display = { firstOnly: true, kinds: { ...DEFAULT_DISPLAY.kinds, org: false, term: false, norp: true } };
  const [shown] = visibleSpans([{ spans: all(), answer }], display);
  assert.deepEqual(texts(shown!), ["entity@11", "entity@50", "entity@76", "entity@90"]);
});

test("first mention is across pieces: late content does not mark a name again", () => {
  const late = { entities: [ent(0, "Yahoo", "ORG"), ent(10, "Oslo", "GPE")], terms: [term(20, "inference", "t1")] };
  const [first, second] = visibleSpans(
    [
      { spans: all(), answer },
      { spans: spansFromAnswer(late.terms, late.entities, 100), answer: late },
    ],
    DEFAULT_DISPLAY,
  );
  assert.equal(first!.length, 5);
  assert.deepEqual(texts(second!), ["entity@10"]);
});

test("same key, other text (an alias or a surname) is the same name; saved highlights pass through", () => {
  const es = [ent(0, "Jane Doe", "PERSON", "jane"), ent(20, "Doe", "PERSON", "jane")];
  const spans: DrawSpan[] = [...spansFromAnswer([], es, 100), { kind: "saved", start: 20, end: 30, ref: "saved:1", color: "green" }];
  const [shown] = visibleSpans([{ spans, answer: { entities: es, terms: [] } }], DEFAULT_DISPLAY);
  assert.deepEqual(texts(shown!), ["entity@0", "saved@20"]);
});

test("a stored display is made whole: missing kinds from the defaults, junk ignored", () => {
  assert.deepEqual(normaliseDisplay(undefined), DEFAULT_DISPLAY);
  assert.deepEqual(normaliseDisplay({ firstOnly: false, kinds: { org: false, norp: "yes", bogus: true } }), {
    firstOnly: false,
    kinds: { ...DEFAULT_DISPLAY.kinds, org: false },
  });
  assert.equal(DEFAULT_DISPLAY.kinds.norp, false);
  assert.equal(DEFAULT_DISPLAY.firstOnly, true);
});

test("the page's text goes in pieces of whole blocks, what is on screen first", () => {
  const text = ["a".repeat(500), "b".repeat(500), "c".repeat(1500), "d".repeat(3000), "e".repeat(10)].join("\n\n");
  const pieces = splitIntoPieces(text, 2000);
  // Whole blocks only: every piece starts a block and ends one.
  for (const p of pieces) {
    assert.ok(p.start === 0 || text.slice(p.start - 2, p.start) === "\n\n");
    assert.ok(p.end === text.length || text.slice(p.end, p.end + 2) === "\n\n");
  }
  assert.deepEqual(pieces.map((p) => text.slice(p.start, p.end).replace(/\n\n/g, "|").replace(/(.)\1+/g, "$1")), ["a|b", "c", "d", "e"]);
  assert.equal(splitIntoPieces("\n\n  \n\nx", 10).length, 1);
  // On screen (or within a screen below) first, top down; then reading order.
  assert.deepEqual(nearAndRest([-900, 100, 700, 1500, 3000, Number.NaN], [-800, 600, 1200, 1700, 3200, Number.NaN], 800), [[1, 2, 3], [0, 4, 5]]);
});

test("a long article goes piece by piece, two at a time, what is below the next screen as background", () => {
  const pieces = [0, 1, 2, 3, 4, 5].map((i) => ({ start: i * 2000, end: i * 2000 + 1998 }));
  const plan = sendPlan(pieces, [1, 2], [0, 3, 4, 5], SHORT_ARTICLE_CHARS + 1);
  assert.deepEqual(plan.queue.map((p) => [p.start, p.visible]), [[2000, true], [4000, true], [0, false], [6000, false], [8000, false], [10000, false]]);
  assert.equal(plan.inFlight, 2);
});

test("a short article goes at once: its first piece on screen alone, the rest by runs of adjacent pieces, all visible", () => {
  const pieces = [0, 1, 2, 3].map((i) => ({ start: i * 2000, end: i * 2000 + 1998 }));
  const plan = (near: number[], rest: number[]) => sendPlan(pieces, near, rest, 7998);
  // At the top: the first piece, then the rest in one request.
  assert.deepEqual(plan([0, 1], [2, 3]), { queue: [{ start: 0, end: 1998, visible: true }, { start: 2000, end: 7998, visible: true }], inFlight: 2 });
  // Part way down: what is above the screen and what is below are two runs, the nearer first.
  const down = plan([2, 3], [0, 1]);
  assert.deepEqual(down.queue.map((p) => [p.start, p.end]), [[4000, 5998], [6000, 7998], [0, 3998]]);
  assert.equal(down.inFlight, 3);
  assert.ok(down.queue.every((p) => p.visible));
  // One piece, or none.
  assert.deepEqual(sendPlan(pieces.slice(0, 1), [0], [], 1998), { queue: [{ start: 0, end: 1998, visible: true }], inFlight: 1 });
  assert.deepEqual(sendPlan([], [], [], 0), { queue: [], inFlight: 0 });
});

test("a name has one label across the pieces of a page: most of its mentions', the first's on a tie", () => {
  const e = (start: number, key: string, label: string): Entity => ({ start, end: start + 3, text: key, label, key });
  const pieces = [
    { spans: [], answer: { entities: [e(0, "apple", "ORG"), e(10, "paris", "GPE")], terms: [] } },
    { spans: [], answer: { entities: [e(0, "apple", "PRODUCT"), e(10, "apple", "ORG"), e(20, "paris", "PERSON")], terms: [] } },
  ];
  const { labels } = pageNames(pieces);
  assert.equal(labels.get("apple"), "ORG");
  assert.equal(labels.get("paris"), "GPE");
  // The kind filter follows the page's label: with places off, "paris" goes in both pieces.
  const spans = pieces.map((p) => ({ spans: spansFromAnswer([], p.answer.entities, 100), answer: p.answer }));
  const placesOff = { ...DEFAULT_DISPLAY, firstOnly: false, kinds: { ...DEFAULT_DISPLAY.kinds, place: false, person: true } };
  const shown = visibleSpans(spans, placesOff);
  const keys = shown.map((list, i) => list.map((s) => pieces[i]!.answer.entities[Number(s.ref.split(":")[1])]!.key));
  assert.deepEqual(keys, [["apple"], ["apple", "apple"]]);
});

test("across pieces, a surname alone is the person named in full, drawn once in first-mention mode", () => {
  const e = (start: number, text: string, label: string): Entity => ({ start, end: start + text.length, text, label, key: text.toLowerCase() });
  const first = { entities: [e(0, "Barack Obama", "PERSON"), e(20, "Apple Inc", "ORG")], terms: [] };
  const second = { entities: [e(0, "Obama", "PERSON"), e(10, "Apple", "ORG"), e(20, "Michelle", "PERSON")], terms: [] };
  const names = pageNames([{ spans: [], answer: first }, { spans: [], answer: second }]);
  assert.equal(names.keys.get("obama"), "barack obama");
  assert.equal(names.keys.get("apple"), "apple inc");
  assert.equal(names.keys.get("michelle"), undefined);
  const pieces = [first, second].map((answer) => ({ spans: spansFromAnswer([], answer.entities, 100), answer }));
  const shown = visibleSpans(pieces, { ...DEFAULT_DISPLAY, firstOnly: true });
  assert.deepEqual(shown.map((list, i) => list.map((s) => [first, second][i]!.entities[Number(s.ref.split(":")[1])]!.text)), [["Barack Obama", "Apple Inc"], ["Michelle"]]);
  // Two people with one surname: a surname alone stays its own name.
  const two = pageNames([{ spans: [], answer: { entities: [e(0, "Ann Lee", "PERSON"), e(10, "Bo Lee", "PERSON"), e(20, "Lee", "PERSON")], terms: [] } }]);
  assert.equal(two.keys.get("lee"), undefined);
});
