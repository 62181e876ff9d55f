// The options page: server, token, automatic sites; host access asked for here, at run time.
import { splitSites } from "../shared/match-patterns";
import { loadSettings, saveSettings } from "../background/settings";
import { send } from "./send";
import { renderInvitations } from "./invitations";
import { normaliseServerUrl } from "./server-url";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const serverInput = $<HTMLInputElement>("server-url");
const tokenInput = $<HTMLInputElement>("token");
const sitesInput = $<HTMLTextAreaElement>("sites");
const status = $<HTMLParagraphElement>("status");

function show(state: "ok" | "error" | "checking", text: string): void {
  status.dataset.state = state;
  status.textContent = text;
}

function serverPattern(url: string): string | null {
  try {
    const u = new URL(url);
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return `${u.protocol}//${u.hostname}/*`;
  } catch {
    return null;
  }
}

let checks = 0;

/** Check the saved server and token; only the latest check may write the status line. */
async function check(source: "load" | "save", note = ""): Promise<void> {
  const mine = ++checks;
  status.dataset.source = source;
  show("checking", `${note}Checking the server…`);
  const reply = await send({ type: "ui/check-server" });
  if (mine !== checks) return;
  if (reply.ok) {
    const me = reply.value;
    const names = me.teams.map((t) => t.name);
    const teams = names.length ? ` (team${names.length > 1 ? "s" : ""}: ${names.join(", ")})` : "";
    show("ok", `${note}Connected: the server and token work. Signed in as ${me.name}${teams}.`);
    await loadInvitations();
  } else {
    show("error", `${note}${reply.error.message}`);
  }
}

/** The reader's pending invitations, shown under the status line when there are any. */
async function loadInvitations(): Promise<void> {
  const reply = await send({ type: "ui/invitations" });
  const invitations = reply.ok ? reply.value : [];
  const section = $<HTMLElement>("invitations");
  section.hidden = invitations.length === 0;
  renderInvitations(document, $<HTMLUListElement>("invitation-list"), invitations, (invitation, accept) => void answer(invitation.id, accept));
}

async function answer(id: string, accept: boolean): Promise<void> {
  const reply = await send({ type: "ui/answer-invitation", id, accept });
  if (!reply.ok) {
    show("error", reply.error.message);
    return;
  }
  await check("save"); // the status line lists the teams, the joined one included
}

async function save(e: Event): Promise<void> {
  e.preventDefault();
  checks++; // a check still running from the page load must not overwrite what follows
  status.dataset.source = "save";
  show("checking", "Saving…");
  const raw = serverInput.value.trim();
  const typed = normaliseServerUrl(raw);
  if (!typed.ok) {
    show("error", `${typed.message} Nothing was saved.`);
    return;
  }
  const serverUrl = typed.url;
  const server = serverPattern(serverUrl);
  if (!server) {
    show("error", "The server URL must start with http:// or https://. Nothing was saved.");
    return;
  }
  // What is saved is what the field shows, so no old value sits next to the new status.
  serverInput.value = serverUrl;
  const note = typed.fixed ? `Using ${serverUrl} (“${raw}” had no http:// or https://). ` : "";
  const { valid, invalid } = splitSites(sitesInput.value);
  if (invalid.length) {
    show("error", `Not a match pattern: ${invalid.join(", ")}`);
    return;
  }
  // Asked for now, during the click: the server and the listed sites, loopback included (the
  // manifest grants it, but a Firefox reader can take it back in about:addons). `request` must be
  // the click handler's first await: Firefox refuses it once the handler has awaited anything
  // else, and both browsers answer true at once, without a prompt, for what is already granted.
  const granted = await chrome.permissions.request({ origins: [server, ...valid] }).catch(() => false);
  if (!granted) {
    show("error", "Gloss needs access to the server and the listed sites; nothing was saved.");
    return;
  }
  await saveSettings({ serverUrl, token: tokenInput.value.trim(), sites: valid });
  await send({ type: "ui/settings-changed" });
  await check("save", note);
}

async function init(): Promise<void> {
  const settings = await loadSettings();
  serverInput.value = settings.serverUrl;
  tokenInput.value = settings.token;
  sitesInput.value = settings.sites.join("\n");
  $("form").addEventListener("submit", (e) => void save(e));
  if (settings.token) await check("load");
}

void init();
