// Tartan dashboard: one page, hash routes, the node's REST API and one
// event stream. No framework: a small DOM helper and a render per view.
"use strict";

// WINDOW is how many recent heights the timeline shows and the event
// stream replays when the page opens.
const WINDOW = 120;
// NODE_REFRESH_MS spaces re-reads of /v1/node (peers, local head), which
// the event stream does not carry; they ride on events, never on a timer.
const NODE_REFRESH_MS = 10000;
const STATUSES = ["available", "sampling", "pending", "unavailable", "fraud", "pruned"];

const S = {
  node: null,          // GET /v1/node
  nodeAt: 0,           // when it was read (ms)
  net: 0,              // network head, raised by header events
  sampled: 0,          // every height up to here has a verdict
  heights: new Map(),  // height -> {status, time, k, updated, av}
  summary: null,       // GET /v1/availability, for the unavailable and fraud lists
  summaryAt: 0,
  fraud: new Map(),    // height -> GET /v1/fraud/{h}
  view: null,          // {name, height?}
  es: null,            // the one EventSource
  pending: 0,          // a render is scheduled
};

// h builds an element: h("a", {href: "#/"}, "text", child, …).
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

function svgEl(tag, attrs) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  return el;
}

// APIError carries the API's {"error":{"code","message"}} and the status.
class APIError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path, opts) {
  const res = await fetch(path, opts);
  let body = null;
  try { body = await res.json(); } catch (_) { /* not JSON */ }
  if (!res.ok) {
    const e = (body && body.error) || {};
    throw new APIError(res.status, e.code || "http_" + res.status, e.message || res.statusText);
  }
  return body;
}

function verdict(status) {
  return h("span", { class: "v v-" + status }, status);
}

function short(hex, n = 10) {
  return hex && hex.length > 2 * n ? hex.slice(0, n) + "…" + hex.slice(-6) : hex || "";
}

function fmtTime(t) {
  if (!t) return "—";
  const d = new Date(t);
  return isNaN(d) || d.getTime() <= 0 ? "—" : d.toLocaleString();
}

function fmtDuration(sec) {
  sec = Math.max(0, Math.floor(sec));
  const d = Math.floor(sec / 86400), hh = Math.floor(sec % 86400 / 3600), m = Math.floor(sec % 3600 / 60), s = sec % 60;
  return (d ? d + "d " : "") + (d || hh ? hh + "h " : "") + (d || hh || m ? m + "m " : "") + s + "s";
}

function isLight() { return S.node && S.node.role === "light"; }

// ---- state ----

function height(n) {
  let v = S.heights.get(n);
  if (!v) { v = { status: null }; S.heights.set(n, v); }
  return v;
}

function statusOf(n) {
  const v = S.heights.get(n);
  if (v && v.status) return v.status;
  return n <= S.net ? "sampling" : "pending";
}

function isVerdict(s) { return s === "available" || s === "unavailable" || s === "fraud" || s === "pruned"; }

// advanceSampled raises the sampled head over heights with a verdict, as
// the node counts it.
function advanceSampled() {
  while (S.sampled < S.net && isVerdict(statusOf(S.sampled + 1)) && S.heights.has(S.sampled + 1)) S.sampled++;
}

function trim() {
  const keep = Math.max(1, S.net - 2 * WINDOW);
  for (const k of S.heights.keys()) if (k < keep) S.heights.delete(k);
}

function applySummary(sum, from) {
  S.summary = sum;
  S.summaryAt = Date.now();
  S.net = Math.max(S.net, sum.network_head);
  S.sampled = Math.max(S.sampled, sum.sampled_head);
  const inRange = (n) => sum.available.some(([a, b]) => n >= a && n <= b);
  for (let n = from; n <= sum.network_head; n++) {
    const v = height(n);
    if (v.status) continue;
    if (inRange(n)) v.status = "available";
    else if (sum.fraud.includes(n)) v.status = "fraud";
    else if (sum.unavailable.includes(n)) v.status = "unavailable";
    else if (n <= sum.sampled_head) v.status = "pruned";
    else v.status = "sampling";
  }
}

async function refreshNode(force) {
  if (!force && Date.now() - S.nodeAt < NODE_REFRESH_MS) return;
  S.nodeAt = Date.now();
  try {
    S.node = await api("/v1/node");
    S.net = Math.max(S.net, S.node.head.network);
    schedule();
  } catch (e) { S.nodeAt = 0; }
}

async function refreshSummary() {
  if (Date.now() - S.summaryAt < 2000) return;
  S.summaryAt = Date.now();
  try { applySummary(await api("/v1/availability"), S.net + 1); schedule(); } catch (_) { S.summaryAt = 0; }
}

// ---- the event stream (exactly one) ----

function connect(from) {
  if (S.es) return;
  const es = new EventSource("/v1/events?from=" + from);
  S.es = es;
  const live = document.getElementById("live");
  es.onopen = () => { live.textContent = "Live"; live.className = "live ok"; };
  es.onerror = () => {
    // The browser reconnects by itself (with Last-Event-ID) unless the
    // answer was an error; then try once more later, still one stream.
    live.textContent = "Reconnecting…"; live.className = "live bad";
    if (es.readyState === EventSource.CLOSED) {
      S.es = null;
      setTimeout(() => connect(S.net + 1), 5000);
    }
  };
  es.addEventListener("header", (e) => {
    const d = JSON.parse(e.data);
    const v = height(d.height);
    v.time = d.time; v.k = d.square_width;
    if (!v.status) v.status = "sampling";
    if (d.height > S.net) S.net = d.height;
    refreshNode(false);
    changed(d.height);
  });
  es.addEventListener("availability", (e) => {
    const d = JSON.parse(e.data);
    const v = height(d.height);
    const was = v.status;
    v.status = d.status; v.updated = d.updated; v.k = d.square_width; v.av = d;
    advanceSampled();
    if (d.status === "unavailable" || d.status === "fraud" || was === "unavailable") refreshSummary();
    changed(d.height);
  });
  es.addEventListener("fraud", (e) => {
    const d = JSON.parse(e.data);
    height(d.height).status = "fraud";
    S.fraud.delete(d.height);
    refreshSummary();
    changed(d.height);
  });
}

// changed notes that a height's data moved and schedules one render for
// a burst of events (the stream replays many at once).
function changed(n) {
  trim();
  if (S.view && S.view.name === "height" && S.view.height === n) S.view.dirty = true;
  schedule();
}

function schedule() {
  if (S.pending) return;
  S.pending = setTimeout(() => { S.pending = 0; update(); }, 80);
}

// ---- views ----

const main = () => document.getElementById("main");

function route() {
  const hash = location.hash || "#/";
  let m;
  if ((m = hash.match(/^#\/h\/(\d+)$/))) return { name: "height", height: Number(m[1]) };
  if (hash === "#/availability") return { name: "availability" };
  if (hash === "#/submit") return { name: "submit" };
  return { name: "overview" };
}

function navigate() {
  S.view = route();
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (a.dataset.nav === S.view.name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const el = main();
  el.replaceChildren();
  ({ overview: showOverview, height: showHeight, availability: showAvailability, submit: showSubmit })[S.view.name](el);
  el.focus({ preventScroll: true });
}

// update re-renders the live parts of the current view.
function update() {
  const v = S.view;
  if (!v) return;
  if (v.name === "overview") { renderNode(); renderTimeline(); }
  if (v.name === "availability") renderAvailability();
  if (v.name === "height" && v.dirty) { v.dirty = false; loadHeight(v.height, true); }
}

// Overview: the node and the chain.
function showOverview(el) {
  document.title = "Tartan dashboard";
  el.append(
    h("h1", {}, "Node and chain"),
    h("div", { class: "grid" },
      h("section", { class: "card", "aria-labelledby": "node-h" }, h("h2", { id: "node-h" }, "Node"), h("dl", { class: "kv", id: "node-kv" })),
      h("section", { class: "card", "aria-labelledby": "heads-h" }, h("h2", { id: "heads-h" }, "Heads"), h("dl", { class: "kv", id: "heads-kv" })),
      h("section", { class: "card wide", "aria-labelledby": "chain-h" },
        h("h2", { id: "chain-h" }, "Chain"),
        h("p", { class: "muted" }, "The most recent heights, oldest first, by this node's verdict. Select one for its header and square."),
        h("ol", { class: "timeline", id: "timeline", "aria-label": "Recent heights" }),
        h("div", { id: "flagged" }),
        legend()),
    ));
  renderNode();
  renderTimeline();
}

function legend() {
  return h("ul", { class: "legend", "aria-label": "Verdicts" },
    STATUSES.map((s) => h("li", {}, verdict(s))));
}

function kv(dl, rows) {
  dl.replaceChildren(...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function renderNode() {
  const dl = document.getElementById("node-kv");
  if (!dl || !S.node) return;
  const n = S.node;
  const up = n.started ? fmtDuration((Date.now() - Date.parse(n.started)) / 1000) : "—";
  kv(dl, [
    ["Role", h("span", { id: "node-role" }, n.role)],
    ["Chain", n.chain_id],
    ["Version", n.version || "—"],
    ["Uptime", h("span", { id: "uptime", title: n.started ? "since " + fmtTime(n.started) : "" }, up)],
    ["Peers", String(n.peers)],
    ["Peer ID", h("code", {}, n.peer_id)],
    ["Network", n.listen.length ? h("ul", { class: "mono" }, n.listen.map((a) => h("li", {}, a))) : "no listen addresses"],
  ]);
  const heads = document.getElementById("heads-kv");
  kv(heads, [
    ["Network head", h("span", { id: "head-network" }, String(S.net))],
    ["Local head", String(Math.max(n.head.local, 0))],
    [isLight() ? "Sampled head" : "Verified head", h("span", { id: "head-sampled" }, String(S.sampled))],
    ["Largest square", "k = " + n.limits.max_square_width],
  ]);
}

function renderTimeline() {
  const ol = document.getElementById("timeline");
  if (!ol) return;
  const top = S.net, from = Math.max(1, top - WINDOW + 1);
  const items = [];
  for (let n = from; n <= top; n++) {
    const st = statusOf(n);
    const label = "height " + n + ": " + st;
    items.push(h("li", {}, h("a", { href: "#/h/" + n, class: "s-" + st, title: label, "aria-label": label, "data-height": n, "data-status": st },
      h("span", { class: "g", "aria-hidden": "true" }, glyph(st)), h("span", { "aria-hidden": "true" }, String(n)))));
  }
  if (!items.length) items.push(h("li", { class: "muted" }, "No heights yet."));
  ol.replaceChildren(...items);
  // Unavailable and fraudulent heights older than the window stay in
  // view: they are what an operator looks for.
  const older = [];
  if (S.summary) {
    for (const n of S.summary.unavailable) if (n < from) older.push([n, "unavailable"]);
    for (const n of S.summary.fraud) if (n < from) older.push([n, "fraud"]);
  }
  older.sort((a, b) => a[0] - b[0]);
  document.getElementById("flagged").replaceChildren(...(older.length ? [
    h("p", {}, "Earlier flagged heights:"),
    h("ol", { class: "timeline", "aria-label": "Earlier flagged heights" }, older.slice(-WINDOW).map(([n, st]) => {
      const label = "height " + n + ": " + st;
      return h("li", {}, h("a", { href: "#/h/" + n, class: "s-" + st, title: label, "aria-label": label, "data-height": n, "data-status": st },
        h("span", { class: "g", "aria-hidden": "true" }, glyph(st)), h("span", { "aria-hidden": "true" }, String(n))));
    }))] : []));
}

function glyph(st) {
  return { available: "✓", sampling: "…", pending: "·", unavailable: "✗", fraud: "!", pruned: "–" }[st] || "?";
}

// A height's page.
function showHeight(el) {
  const n = S.view.height;
  document.title = "Height " + n + " · Tartan";
  el.append(
    h("p", {}, h("a", { href: "#/" }, "← Chain"),
      n > 1 ? [" · ", h("a", { href: "#/h/" + (n - 1) }, "height " + (n - 1))] : null,
      " · ", h("a", { href: "#/h/" + (n + 1) }, "height " + (n + 1))),
    h("h1", {}, "Height " + n),
    h("div", { class: "grid hgrid" },
      h("section", { class: "card a-av", "aria-labelledby": "av-h" }, h("h2", { id: "av-h" }, "Availability"),
        h("div", { id: "av", "aria-live": "polite" }, h("p", { class: "muted" }, "Loading…"))),
      h("section", { class: "card a-sq", "aria-labelledby": "sq-h" }, h("h2", { id: "sq-h" }, "Extended square"),
        h("div", { id: "sq" }, h("p", { class: "muted" }, "Loading…"))),
      h("section", { class: "card a-hdr", "aria-labelledby": "hdr-h" }, h("h2", { id: "hdr-h" }, "Header"),
        h("div", { id: "hdr" }, h("p", { class: "muted" }, "Loading…"))),
      h("section", { class: "card wide", "aria-labelledby": "val-h" }, h("h2", { id: "val-h" }, "Signed commit"),
        h("div", { id: "val" }, h("p", { class: "muted" }, "Loading…"))),
      h("section", { class: "card wide", "aria-labelledby": "blobs-h", id: "blobs-card", hidden: true },
        h("h2", { id: "blobs-h" }, "Blobs by namespace"), h("div", { id: "blobs" })),
    ));
  loadHeight(n, false);
}

async function loadHeight(n, availabilityOnly) {
  const mine = () => S.view && S.view.name === "height" && S.view.height === n;
  if (n > S.net) {
    if (mine()) document.getElementById("av").replaceChildren(h("p", {}, "Height " + n + " is above the network head (" + S.net + "); this page fills in when it arrives."));
    S.view.dirty = false;
    return;
  }
  const av = await api("/v1/availability/" + n).catch((e) => e);
  if (!mine()) return;
  renderHeightAvailability(av);
  if (availabilityOnly && S.view.hdr) { renderSquare(S.view.hdr, av); return; }
  const hdr = await api("/v1/headers/" + n).catch((e) => e);
  if (!mine()) return;
  if (!(hdr instanceof Error)) S.view.hdr = hdr;
  renderHeader(hdr);
  renderSquare(hdr, av);
  if (!(hdr instanceof Error) && S.node && !isLight() && hdr.square_width > 0) loadBlobs(n);
}

function renderHeightAvailability(av) {
  const box = document.getElementById("av");
  if (!box) return;
  if (av instanceof Error) { box.replaceChildren(h("p", { class: "error" }, av.message)); return; }
  const k = av.square_width, s = av.samples.requested;
  const f = k > 0 ? ((k + 1) * (k + 1)) / (4 * k * k) : 0;
  const rows = [
    ["Status", h("span", { id: "av-status", "data-status": av.status }, verdict(av.status))],
    ["Square width", k ? "k = " + k + " (extended " + 2 * k + " × " + 2 * k + ")" : "—"],
    ["Samples", "s = " + s + " requested, " + av.samples.verified + " verified"],
    ["Bound", av.bound || "—"],
    ["Confidence", h("span", { id: "av-confidence" }, av.confidence.toFixed(6))],
  ];
  if (isLight() && k && av.bound && av.bound.includes("(k+1)")) {
    rows.push(["Model", h("span", {}, "1 − (1 − f)", h("sup", {}, "s"), ", f = (k+1)²/(4k²) = " + f.toFixed(4) +
      " per sample: an adversary must withhold at least (k+1)² of 4k² shares")]);
  }
  rows.push(["Updated", fmtTime(av.updated)]);
  const dl = h("dl", { class: "kv" });
  kv(dl, rows);
  box.replaceChildren(dl);
  if (av.status === "fraud") loadFraudInto(box, av.height);
}

function renderHeader(hdr) {
  const box = document.getElementById("hdr");
  if (!box) return;
  if (hdr instanceof Error) { box.replaceChildren(h("p", { class: "error" }, hdr.message)); return; }
  const dl = h("dl", { class: "kv" });
  kv(dl, [
    ["Chain", hdr.chain_id],
    ["Time", fmtTime(hdr.time)],
    ["Hash", h("code", { title: hdr.hash }, short(hdr.hash, 16))],
    ["Previous", h("code", { title: hdr.prev_hash }, short(hdr.prev_hash, 16))],
    ["Square width", "k = " + hdr.square_width],
    ["Data root", h("code", { id: "data-root" }, hdr.data_root)],
    ["Data hash", h("code", { title: hdr.data_hash }, short(hdr.data_hash, 16))],
    ["Validators hash", h("code", { title: hdr.validators_hash }, short(hdr.validators_hash, 16))],
    ["Proposer", h("code", {}, hdr.proposer)],
    ["REST", h("a", { href: "/v1/headers/" + hdr.height }, "/v1/headers/" + hdr.height)],
  ]);
  box.replaceChildren(dl);
  const val = document.getElementById("val");
  const sigs = hdr.commit.signatures || [];
  const signed = sigs.filter((s) => s.validator_address).length;
  const power = new Map((hdr.validators || []).map((v) => [v.address, v.voting_power]));
  val.replaceChildren(
    h("p", {}, signed + " of " + sigs.length + " validators signed, round " + hdr.commit.round + ", block ", h("code", {}, short(hdr.commit.block_id.hash, 12)), "."),
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Validator"), h("th", { scope: "col" }, "Signed at"),
        power.size ? h("th", { scope: "col" }, "Power") : null)),
      h("tbody", {}, sigs.map((s) => h("tr", {},
        h("td", {}, s.validator_address ? h("code", {}, s.validator_address) : h("span", { class: "muted" }, "absent")),
        h("td", {}, s.validator_address ? fmtTime(s.timestamp) : "—"),
        power.size ? h("td", {}, String(power.get(s.validator_address) ?? "")) : null))))));
}

// renderSquare draws the 2k×2k extended square: the four quadrants, the
// cells this node sampled (light) or that it holds and serves (others).
function renderSquare(hdr, av) {
  const box = document.getElementById("sq");
  if (!box) return;
  const k = !(hdr instanceof Error) && hdr ? hdr.square_width : (!(av instanceof Error) && av ? av.square_width : 0);
  if (!k) { box.replaceChildren(h("p", { class: "muted" }, "The square is not known here yet.")); return; }
  const n = 2 * k;
  const cells = (!(av instanceof Error) && av && av.cells) || [];
  const status = !(av instanceof Error) && av ? av.status : "pending";
  const servesAll = !isLight() && status === "available";
  const sq = h("div", { class: "square" + (servesAll ? " serves-all" : ""), id: "square", role: "img", "data-k": k,
    "aria-label": "Extended square of " + n + " by " + n + " cells: " + describeCells(cells, status, servesAll) });
  sq.style.setProperty("--n", n);
  const quads = [["q0", "Q0 original data", 1, 1], ["q1", "Q1 row parity", 1, k + 1], ["q2", "Q2 column parity", k + 1, 1], ["q3", "Q3 parity of parity", k + 1, k + 1]];
  for (const [cls, label, r, c] of quads) {
    const q = h("div", { class: "q " + cls, "aria-hidden": "true" }, h("span", {}, k >= 2 ? label : label.slice(0, 2)));
    q.style.gridRow = r + " / span " + k;
    q.style.gridColumn = c + " / span " + k;
    sq.append(q);
  }
  const rows = [];
  for (const c of cells) {
    const state = cellState(c, status);
    const label = "row " + c.row + ", column " + c.col + " (" + quadrant(c, k) + "): " + state + (c.verified ? ", served" : "");
    const el = h("div", { class: "cell " + state, title: label, "data-row": c.row, "data-col": c.col, "data-state": state });
    el.style.gridRow = String(c.row + 1);
    el.style.gridColumn = String(c.col + 1);
    sq.append(el);
    rows.push(h("tr", {}, h("td", {}, String(c.row)), h("td", {}, String(c.col)), h("td", {}, quadrant(c, k)),
      h("td", {}, h("span", { class: "sw " + state, "aria-hidden": "true" }), state), h("td", {}, c.verified ? "yes" : "no")));
  }
  const key = h("ul", { class: "legend", "aria-label": "Square key" },
    isLight() ? [
      h("li", {}, h("span", { class: "sw verified", "aria-hidden": "true" }), "sampled and verified (served to peers)"),
      h("li", {}, h("span", { class: "sw failed", "aria-hidden": "true" }), "sampled, failed"),
      h("li", {}, h("span", { class: "sw pending", "aria-hidden": "true" }), "sampled, being asked"),
    ] : h("li", {}, h("span", { class: "sw serves", "aria-hidden": "true" }), servesAll ? "this node holds the whole square and serves every cell" : "this node does not hold the square yet"));
  const parts = [h("div", { class: "square-wrap" }, sq), key];
  if (isLight()) {
    parts.push(h("details", {}, h("summary", {}, "Sampled cells (" + cells.length + ")"),
      h("div", { class: "scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Row", "Column", "Quadrant", "State", "Served"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows)))));
  }
  box.replaceChildren(...parts);
}

function cellState(c, status) {
  if (c.verified) return "verified";
  return status === "unavailable" ? "failed" : "pending";
}

function quadrant(c, k) {
  return "Q" + ((c.row >= k ? 2 : 0) + (c.col >= k ? 1 : 0));
}

function describeCells(cells, status, servesAll) {
  if (servesAll) return "this node holds and serves every cell";
  if (!cells.length) return "no cells sampled";
  const count = (st) => cells.filter((c) => cellState(c, status) === st).length;
  return cells.length + " sampled: " + count("verified") + " verified, " + count("failed") + " failed, " + count("pending") + " being asked";
}

async function loadBlobs(n) {
  const card = document.getElementById("blobs-card"), box = document.getElementById("blobs");
  let res;
  try { res = await api("/v1/blobs/" + n + "/namespaces"); } catch (e) {
    if (!box) return;
    card.hidden = false;
    box.replaceChildren(h("p", { class: "muted" }, e.message));
    return;
  }
  if (!box || !(S.view && S.view.height === n)) return;
  card.hidden = false;
  if (!res.namespaces.length) { box.replaceChildren(h("p", { class: "muted" }, "No blobs at this height.")); return; }
  box.replaceChildren(...res.namespaces.map((ns) => h("div", {},
    h("h3", {}, "Namespace ", h("code", {}, ns.namespace)),
    h("p", {}, h("a", { href: "/v1/blobs/" + n + "?namespace=" + ns.namespace + "&proof=true" }, "all blobs with the namespace proof")),
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, ["Commitment", "Share index", "Bytes", "Proofs"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ns.blobs.map((b) => h("tr", {},
        h("td", {}, h("code", { title: b.commitment }, short(b.commitment, 12))),
        h("td", {}, String(b.index)), h("td", {}, String(b.size)),
        h("td", {}, h("a", { href: "/v1/blobs/" + n + "/" + ns.namespace + "/" + b.commitment + "/proof" }, "share proof"), " · ",
          h("a", { href: "/v1/blobs/" + n + "/" + ns.namespace + "/" + b.commitment }, "blob"))))))))));
}

async function loadFraudInto(box, n) {
  let p = S.fraud.get(n);
  if (!p) {
    try { p = await api("/v1/fraud/" + n); S.fraud.set(n, p); } catch (e) { box.append(h("p", { class: "error" }, e.message)); return; }
  }
  box.append(fraudSummary(p));
}

function fraudSummary(p) {
  return h("p", { class: "fraud-summary" }, "Bad-encoding proof: " + p.axis + " " + p.index + " of header ",
    h("code", { title: p.header_hash }, short(p.header_hash, 8)), ", " + p.proof.length / 2 + " bytes. ",
    h("a", { href: "/v1/fraud/" + p.height }, "/v1/fraud/" + p.height));
}

// Availability over time.
function showAvailability(el) {
  document.title = "Availability · Tartan";
  el.append(
    h("h1", {}, "Availability"),
    h("div", { class: "grid" },
      h("section", { class: "card wide", "aria-labelledby": "heads-chart-h" },
        h("h2", { id: "heads-chart-h" }, "Sampled versus network head"),
        h("p", { class: "muted" }, h("span", { class: "key-net" }, "━ network head"), " · ", h("span", { class: "key-smp" }, "╌ sampled head"), " over time"),
        h("div", { id: "heads-chart" })),
      h("section", { class: "card wide", "aria-labelledby": "lat-h" },
        h("h2", { id: "lat-h" }, "Sampling latency"),
        h("p", { class: "muted" }, "From a block's time to this node's verdict, per height."),
        h("div", { id: "lat-chart" })),
      h("section", { class: "card", "aria-labelledby": "unav-h" }, h("h2", { id: "unav-h" }, "Unavailable"), h("div", { id: "unav" })),
      h("section", { class: "card", "aria-labelledby": "fraud-h" }, h("h2", { id: "fraud-h" }, "Fraud"), h("div", { id: "fraudlist" })),
    ));
  S.summaryAt = 0;
  refreshSummary();
  renderAvailability();
}

function renderAvailability() {
  const hc = document.getElementById("heads-chart");
  if (!hc) return;
  hc.replaceChildren(headsChart());
  document.getElementById("lat-chart").replaceChildren(latencyChart());
  const sum = S.summary;
  const unav = sum ? sum.unavailable : [];
  document.getElementById("unav").replaceChildren(unav.length
    ? h("ul", { id: "unavailable-list" }, unav.slice(-50).map((n) => h("li", {}, h("a", { href: "#/h/" + n }, "height " + n), " ", verdict("unavailable"))))
    : h("p", { class: "muted" }, "None."));
  const fr = sum ? sum.fraud : [];
  const fl = document.getElementById("fraudlist");
  fl.replaceChildren(fr.length ? h("ul", {}, fr.slice(-20).map((n) => {
    const li = h("li", {}, h("a", { href: "#/h/" + n }, "height " + n), " ", verdict("fraud"));
    const p = S.fraud.get(n);
    if (p) li.append(fraudSummary(p));
    else api("/v1/fraud/" + n).then((p) => { S.fraud.set(n, p); schedule(); }).catch(() => {});
    return li;
  })) : h("p", { class: "muted" }, "None."));
}

// headSeries are the times at which the network head and the sampled
// head reached each recent height: a header's time, and the latest verdict
// time among the heights up to it (the sampled head counts only heights
// with a verdict below it).
function headSeries() {
  const net = [], smp = [];
  let latest = 0, gap = false;
  for (let n = Math.max(1, S.net - WINDOW + 1); n <= S.net; n++) {
    const v = S.heights.get(n);
    if (v && v.time) net.push([Date.parse(v.time), n]);
    if (!gap && v && isVerdict(v.status) && v.updated && Date.parse(v.updated) > 0) {
      latest = Math.max(latest, Date.parse(v.updated));
      smp.push([latest, n]);
    } else gap = true;
  }
  return [net, smp];
}

function headsChart() {
  const W = 640, H = 200, P = 34;
  const [netPts, smpPts] = headSeries();
  const pts = netPts.concat(smpPts);
  if (pts.length < 2) return h("p", { class: "muted" }, "Waiting for blocks…");
  const t0 = Math.min(...pts.map((p) => p[0])), t1 = Math.max(...pts.map((p) => p[0]), t0 + 1);
  const h0 = Math.min(...pts.map((p) => p[1])), h1 = Math.max(...pts.map((p) => p[1]), h0 + 1);
  const x = (t) => P + (W - 2 * P) * (t - t0) / (t1 - t0), y = (v) => H - P + (2 * P - H) * (v - h0) / (h1 - h0);
  const step = (ps) => ps.slice().sort((a, b) => a[0] - b[0]).map((p, i, a) => (i ? "H" + x(p[0]).toFixed(1) + "V" : "M" + x(p[0]).toFixed(1) + "," ) + y(p[1]).toFixed(1)).join("");
  const svg = svgEl("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": "Network head " + S.net + ", sampled head " + S.sampled + ", from height " + h0 + " to " + h1 });
  svg.append(svgEl("path", { class: "axis", d: "M" + P + "," + (H - P) + "H" + (W - P) + "M" + P + "," + P + "V" + (H - P) }));
  if (netPts.length) svg.append(svgEl("path", { class: "net", d: step(netPts) }));
  if (smpPts.length) svg.append(svgEl("path", { class: "smp", d: step(smpPts) }));
  const lab = (tx, ty, s, anchor) => { const t = svgEl("text", { x: tx, y: ty, "text-anchor": anchor || "start" }); t.textContent = s; return t; };
  svg.append(lab(2, P, String(h1)), lab(2, H - P, String(h0)),
    lab(P, H - 8, new Date(t0).toLocaleTimeString()), lab(W - P, H - 8, new Date(t1).toLocaleTimeString(), "end"));
  return svg;
}

function latencyChart() {
  const W = 640, H = 160, P = 34;
  const rows = [];
  for (let n = Math.max(1, S.net - WINDOW + 1); n <= S.net; n++) {
    const v = S.heights.get(n);
    // Only heights this node checked cells of: an empty block has a
    // verdict at once and says nothing about sampling.
    if (v && v.time && v.updated && isVerdict(v.status) && v.av && v.av.samples.requested > 0 && v.av.bound.includes("(k+1)")) {
      const ms = Date.parse(v.updated) - Date.parse(v.time);
      if (ms >= 0 && Date.parse(v.updated) > 0) rows.push([n, ms]);
    }
  }
  if (!rows.length) return h("p", { class: "muted" }, "No verdicts with times yet.");
  const top = Math.max(...rows.map((r) => r[1]), 1);
  const bw = Math.min((W - 2 * P) / rows.length, 24);
  const sorted = rows.map((r) => r[1]).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const svg = svgEl("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img",
    "aria-label": "Sampling latency of the last " + rows.length + " heights: median " + median + " ms, most " + top + " ms" });
  svg.append(svgEl("path", { class: "axis", d: "M" + P + "," + (H - P) + "H" + (W - P) }));
  rows.forEach(([n, ms], i) => {
    const bh = (H - 2 * P) * ms / top;
    const r = svgEl("rect", { class: "bar", x: (P + i * bw + 1).toFixed(1), y: (H - P - bh).toFixed(1), width: Math.max(1, bw - 2).toFixed(1), height: bh.toFixed(1) });
    const t = svgEl("title", {}); t.textContent = "height " + n + ": " + ms + " ms"; r.append(t);
    svg.append(r);
  });
  const lab = svgEl("text", { x: 2, y: P }); lab.textContent = top + " ms";
  const med = svgEl("text", { x: W - P, y: H - 8, "text-anchor": "end" }); med.textContent = "median " + median + " ms";
  svg.append(lab, med);
  return svg;
}

// Submit a small blob.
function showSubmit(el) {
  document.title = "Submit · Tartan";
  const max = S.node ? S.node.limits.max_blob_bytes : 0;
  const form = h("form", { class: "submit", id: "submit-form", novalidate: true },
    h("div", {}, h("label", { for: "ns" }, "Namespace", h("span", { class: "hint", id: "ns-hint" }, "20 hex characters (a version-0 ID) or 58 (all 29 bytes)")),
      h("input", { id: "ns", name: "namespace", required: true, autocomplete: "off", spellcheck: "false", "aria-describedby": "ns-hint",
        pattern: "^([0-9a-fA-F]{20}|[0-9a-fA-F]{58})$", value: "74617274616e2d646576" })),
    h("fieldset", {}, h("legend", {}, "Data"),
      h("input", { type: "radio", name: "kind", id: "kind-text", value: "text", checked: true }), " ", h("label", { for: "kind-text" }, "Text"), " ",
      h("input", { type: "radio", name: "kind", id: "kind-file", value: "file" }), " ", h("label", { for: "kind-file" }, "File")),
    h("div", { id: "text-box" }, h("label", { for: "text" }, "Text"), h("textarea", { id: "text", name: "text" }, "hello tartan")),
    h("div", { id: "file-box", hidden: true }, h("label", { for: "file" }, "File", max ? h("span", { class: "hint" }, "at most " + max + " bytes") : null),
      h("input", { type: "file", id: "file", name: "file" })),
    h("div", {}, h("label", { for: "token" }, "Token", h("span", { class: "hint", id: "token-hint" }, "sent as Authorization: Bearer; needed where the node requires it for writes")),
      h("input", { type: "password", id: "token", name: "token", autocomplete: "off", "aria-describedby": "token-hint" })),
    h("div", {}, h("button", { type: "submit", id: "submit-btn" }, "Submit blob")),
    h("div", { id: "submit-result", role: "status", "aria-live": "polite" }));
  form.addEventListener("change", () => {
    const file = form.querySelector("#kind-file").checked;
    form.querySelector("#file-box").hidden = !file;
    form.querySelector("#text-box").hidden = file;
  });
  form.addEventListener("submit", (e) => { e.preventDefault(); submitBlob(form, max); });
  el.append(h("h1", {}, "Submit a blob"),
    h("section", { class: "card", "aria-labelledby": "sub-h" }, h("h2", { id: "sub-h", class: "muted" }, "The node answers once a block holds it."), form));
}

async function submitBlob(form, max) {
  const out = form.querySelector("#submit-result"), btn = form.querySelector("#submit-btn");
  const fail = (msg) => out.replaceChildren(h("p", { class: "error" }, msg));
  const ns = form.querySelector("#ns").value.trim().toLowerCase();
  if (!/^([0-9a-f]{20}|[0-9a-f]{58})$/.test(ns)) { fail("Namespace: give 20 or 58 hex characters."); form.querySelector("#ns").focus(); return; }
  let bytes;
  if (form.querySelector("#kind-file").checked) {
    const f = form.querySelector("#file").files[0];
    if (!f) { fail("Choose a file."); return; }
    bytes = new Uint8Array(await f.arrayBuffer());
  } else {
    bytes = new TextEncoder().encode(form.querySelector("#text").value);
  }
  if (!bytes.length) { fail("The blob is empty: give some data."); return; }
  if (max && bytes.length > max) { fail("The blob has " + bytes.length + " bytes; this node takes at most " + max + "."); return; }
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  const headers = { "Content-Type": "application/json" };
  const token = form.querySelector("#token").value.trim();
  if (token) headers.Authorization = "Bearer " + token;
  btn.disabled = true;
  out.replaceChildren(h("p", {}, "Submitting " + bytes.length + " bytes; waiting for a block…"));
  try {
    const res = await api("/v1/blobs", { method: "POST", headers, body: JSON.stringify({ blobs: [{ namespace: ns, data: btoa(bin) }] }) });
    out.replaceChildren(h("p", { class: "ok" }, "Included."), h("dl", { class: "kv" },
      h("dt", {}, "Height"), h("dd", {}, h("a", { href: "#/h/" + res.height, id: "result-height", "data-height": res.height }, String(res.height))),
      h("dt", {}, "Commitment"), h("dd", {}, h("code", { id: "result-commitment" }, res.commitments[0]))));
  } catch (e) {
    fail(e.status === 401 ? "This node needs a token for writes: enter a current one above. (" + e.message + ")" : e.message);
  } finally {
    btn.disabled = false;
  }
}

// ---- start ----

async function start() {
  window.addEventListener("hashchange", navigate);
  const [node, sum] = await Promise.all([api("/v1/node").catch((e) => e), api("/v1/availability").catch((e) => e)]);
  if (!(node instanceof Error)) { S.node = node; S.nodeAt = Date.now(); S.net = node.head.network; S.sampled = node.head.sampled; }
  const from = Math.max(1, S.net - WINDOW + 1);
  if (!(sum instanceof Error)) applySummary(sum, from);
  navigate();
  if (node instanceof Error) main().prepend(h("p", { class: "error" }, "The node did not describe itself: " + node.message));
  connect(from);
  // The uptime ticks locally; nothing is fetched for it.
  setInterval(() => {
    const el = document.getElementById("uptime");
    if (el && S.node && S.node.started) el.textContent = fmtDuration((Date.now() - Date.parse(S.node.started)) / 1000);
  }, 1000);
}

start();
