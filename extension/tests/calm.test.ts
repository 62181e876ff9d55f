import assert from "node:assert/strict";
import { test } from "node:test";
import type { Entity, TermHit } from "../src/shared/api.gen";
import { DEFAULT_DISPLAY, type Display, kindOfLabel, normaliseDisplay } from "../src/shared/display";
import { visibleSpans } from "../src/content/render/calm";
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
