import assert from "node:assert/strict";
import { test } from "node:test";
import { changesHeard, local } from "./fake-chrome";
import { loadSettings, saveSettings } from "../src/background/settings";
import { DEFAULT_SETTINGS } from "../src/shared/types";

// One module instance for the file: the tests run in order and each starts from what the last left.

test("the settings are read from storage once, then held until they change", async () => {
  await local.writeElsewhere({ settings: { serverUrl: "http://127.0.0.1:8000", token: "one" } });
  await changesHeard();
  const before = local.reads;
  const [a, b] = await Promise.all([loadSettings(), loadSettings()]);
  const c = await loadSettings();
  assert.equal(local.reads - before, 1);
  assert.equal(a.token, "one");
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
  // Filled in from the defaults, field by field.
  assert.deepEqual(a.sites, DEFAULT_SETTINGS.sites);
});

test("a write from another context (the options page) is read on the next call", async () => {
  await loadSettings();
  await local.writeElsewhere({ settings: { serverUrl: "http://127.0.0.1:8000", token: "two" } });
  await changesHeard();
  assert.equal((await loadSettings()).token, "two");
});

test("what this context saves is what the next call returns, even before the change is heard", async () => {
  await loadSettings();
  const saved = await saveSettings({ token: "three" });
  assert.equal(saved.token, "three");
  assert.equal((await loadSettings()).token, "three");
  await changesHeard();
  assert.equal((await loadSettings()).token, "three");
});

test("a caller that changes its copy changes nothing held", async () => {
  const mine = await loadSettings();
  mine.token = "changed";
  mine.sites.push("https://example.org/*");
  const next = await loadSettings();
  assert.equal(next.token, "three");
  assert.ok(!next.sites.includes("https://example.org/*"));
});

test("a failed read is not held: the next call reads again", async () => {
  await local.writeElsewhere({ settings: { serverUrl: "http://127.0.0.1:8000", token: "four" } });
  await changesHeard();
  local.failNext = true;
  await assert.rejects(loadSettings(), /storage unavailable/);
  assert.equal((await loadSettings()).token, "four");
});
