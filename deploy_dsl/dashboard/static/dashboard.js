// The dashboard's only script: keeps the token, refreshes the live part of a page, and sends
// approve / reject / terminate and a canary's promote / abort. The server renders (and
// escapes) every piece of HTML; this script only moves it into place.
"use strict";

const TOKEN_KEY = "deploy-dsl-dashboard-token";
const BY_KEY = "deploy-dsl-dashboard-by";
// At most one request a second per open page; the server caches Conductor's answers as long.
const POLL_MS = 1000;

function storedToken() {
  try { return window.localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
}

function storeToken(token) {
  try { window.localStorage.setItem(TOKEN_KEY, token); } catch (e) { /* private mode */ }
  showTokenState();
}

function showTokenState() {
  const state = document.getElementById("token-state");
  if (state) {
    state.textContent = storedToken() ? "token set: decisions allowed" : "no token: decisions are refused";
    state.className = storedToken() ? "ok" : "muted";
  }
}

// `server up` prints the URL with `#token=...`: the fragment never reaches a server or a log.
function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (match) {
    storeToken(decodeURIComponent(match[1]));
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}

function notice(text, kind) {
  const box = document.getElementById("notice");
  if (!box) { return; }
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
}

// -- live updates ---------------------------------------------------------------------------

let lastHtml = null;
let timer = null;

function keepState(root) {
  const state = { open: new Set(), values: new Map(), focus: null };
  root.querySelectorAll("details[data-key]").forEach((d) => { if (d.open) { state.open.add(d.dataset.key); } });
  root.querySelectorAll("[data-keep]").forEach((input) => {
    if (input.value) { state.values.set(input.dataset.keep, input.value); }
    if (document.activeElement === input) { state.focus = input.dataset.keep; }
  });
  return state;
}

function restoreState(root, state) {
  root.querySelectorAll("details[data-key]").forEach((d) => { if (state.open.has(d.dataset.key)) { d.open = true; } });
  root.querySelectorAll("[data-keep]").forEach((input) => {
    if (state.values.has(input.dataset.keep)) { input.value = state.values.get(input.dataset.keep); }
    if (state.focus === input.dataset.keep) { input.focus(); }
  });
}

async function refresh() {
  const live = document.getElementById("live");
  if (!live || !live.dataset.live) { return; }
  timer = null;
  if (document.hidden) { return; }  // resumed by visibilitychange
  let final = false;
  try {
    const answer = await fetch(live.dataset.live, { headers: { Accept: "application/json" } });
    const body = await answer.json();
    if (!answer.ok) {
      notice(body.error || ("HTTP " + answer.status), "error");
    } else {
      if (body.html !== lastHtml) {
        const state = keepState(live);
        live.innerHTML = body.html;
        restoreState(live, state);
        lastHtml = body.html;
      }
      final = body.final === true;
    }
  } catch (e) {
    notice("cannot reach the dashboard: " + e, "error");
  }
  if (final) {
    live.dataset.live = "";
    live.classList.add("final");
  } else {
    schedule();
  }
}

function schedule() {
  if (timer === null) { timer = window.setTimeout(refresh, POLL_MS); }
}

// -- actions --------------------------------------------------------------------------------

async function act(element, body) {
  const url = element.dataset.url;
  const by = (document.getElementById("by-input") || {}).value || "";
  if (by) { body.by = by; }
  if (element.dataset.gate) { body.gate = element.dataset.gate; }
  element.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Dashboard-Token": storedToken() },
      body: JSON.stringify(body),
    });
    const result = await answer.json();
    notice(answer.ok ? result.message : ("refused (" + answer.status + "): " + result.error), answer.ok ? "ok" : "error");
  } catch (e) {
    notice("the request failed: " + e, "error");
  } finally {
    element.querySelectorAll("button").forEach((b) => { b.disabled = false; });
  }
  lastHtml = null;
  if (timer !== null) { window.clearTimeout(timer); timer = null; }
  refresh();
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action='approve'], button[data-action='promote']");
  if (button) {
    event.preventDefault();
    act(button, {});
  }
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.id === "token-form") {
    event.preventDefault();
    const input = document.getElementById("token-input");
    const by = document.getElementById("by-input");
    if (input.value) { storeToken(input.value.trim()); input.value = ""; }
    if (by) { try { window.localStorage.setItem(BY_KEY, by.value); } catch (e) { /* ignore */ } }
    return;
  }
  if (["reject", "abort", "terminate"].includes(form.dataset.action)) {
    event.preventDefault();
    const reason = form.querySelector("input[name='reason']");
    act(form, { reason: reason ? reason.value : "" });
  }
});

window.addEventListener("hashchange", takeTokenFromUrl);

document.addEventListener("visibilitychange", () => { if (!document.hidden) { schedule(); } });

document.addEventListener("DOMContentLoaded", () => {
  takeTokenFromUrl();
  showTokenState();
  const by = document.getElementById("by-input");
  if (by) { try { by.value = window.localStorage.getItem(BY_KEY) || ""; } catch (e) { /* ignore */ } }
  const live = document.getElementById("live");
  if (live) { lastHtml = live.innerHTML; }
  schedule();
});
