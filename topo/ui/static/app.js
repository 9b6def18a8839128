// kubemn's browser view: the cluster's map, redrawn when the run's API store changes,
// and the flow log's digest drawn over it as it happens. Plain JavaScript and SVG.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const SVG = "http://www.w3.org/2000/svg";
const FLOW_MS = 3000;          // how long a flow stays drawn
const RECENT_SHOWN = 40;

const state = {map: null, at: {}, selected: null, recent: [], seenRecords: new Set()};
// For tests and the benchmark: when the map was first drawn (ms since navigation),
// and how late each flow was drawn after the node saw it (s).
window.kubemn = {firstPaint: null, flowDelays: [], maps: 0};

function esc(text) {
  return String(text).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;",
                                                 '"': "&quot;", "'": "&#39;"}[c]));
}

function url(path, params) {
  const query = new URLSearchParams(Object.assign({token: TOKEN}, params || {}));
  return path + "?" + query.toString();
}

// --- the map ---------------------------------------------------------------------
function layout(map, width) {
  // Positions: the internet on the left, Services in a band at the top, the nodes in a
  // grid below with their pods in a grid inside each.
  const at = {}, boxes = {nodes: [], services: []};
  const left = 150, gap = 14;
  at["internet"] = {x: 70, y: 60, w: 120, h: 50};
  const svcW = 170, svcH = 46, perRow = Math.max(1, Math.floor((width - left) / (svcW + gap)));
  map.services.forEach((s, i) => {
    const box = {x: left + (i % perRow) * (svcW + gap), y: 10 + Math.floor(i / perRow) * (svcH + gap),
                 w: svcW, h: svcH, service: s};
    boxes.services.push(box);
    at["svc:" + s.ref] = {x: box.x + svcW / 2, y: box.y + svcH / 2};
  });
  const top = 10 + Math.ceil(map.services.length / perRow) * (svcH + gap) + 10;
  const count = Math.max(1, map.nodes.length);
  const cols = Math.max(1, Math.min(count, Math.ceil(Math.sqrt(count * 1.6))));
  const nodeW = (width - left - gap * (cols - 1)) / cols;
  const byNode = {};
  map.pods.forEach(p => (byNode[p.node] = byNode[p.node] || []).push(p));
  const most = Math.max(1, ...map.nodes.map(n => (byNode[n.name] || []).length));
  // A few pods a node: big enough for their names; many: as many as fit.
  const perLine = Math.max(1, Math.floor((nodeW - 16) / 80));
  const cell = most <= perLine * 3 ? 80 : Math.max(9, Math.min(46, Math.sqrt((nodeW - 16) * 300 / most)));
  const podCols = Math.max(1, Math.floor((nodeW - 16) / cell));
  const nodeH = 40 + Math.ceil(most / podCols) * cell + 8;
  map.nodes.forEach((n, i) => {
    const box = {x: left + (i % cols) * (nodeW + gap), y: top + Math.floor(i / cols) * (nodeH + gap),
                 w: nodeW, h: nodeH, node: n, pods: byNode[n.name] || []};
    boxes.nodes.push(box);
    at["node:" + n.name] = {x: box.x + nodeW / 2, y: box.y + 16};
    box.pods.forEach((p, j) => {
      at[p.ref] = {x: box.x + 8 + (j % podCols + 0.5) * cell,
                   y: box.y + 40 + (Math.floor(j / podCols) + 0.5) * cell, r: cell * 0.32, cell};
    });
  });
  return {at, boxes, height: top + Math.ceil(count / cols) * (nodeH + gap)};
}

function shortName(ref, chars) {
  // A pod's name in chars at most: a generated one keeps its head and its tail.
  const name = ref.split("/")[1];
  if (name.length <= chars) return name;
  const tail = Math.floor((chars - 1) / 2);
  return name.slice(0, chars - 1 - tail) + "…" + name.slice(name.length - tail);
}

function drawMap(map) {
  const svg = document.getElementById("map");
  const width = svg.clientWidth || 1000;
  const {at, boxes, height} = layout(map, width);
  const parts = [];
  const inet = at["internet"];
  parts.push(`<g data-kind="internet"><rect class="internet-box" x="${inet.x - 60}" y="${inet.y - 25}"
    width="120" height="50" rx="6"/><text class="title" x="${inet.x}" y="${inet.y - 3}"
    text-anchor="middle">internet</text><text class="sub" x="${inet.x}" y="${inet.y + 13}"
    text-anchor="middle">${esc(map.internet)}</text></g>`);
  for (const box of boxes.services) {
    const s = box.service;
    const where = [s.clusterIP, ...s.externalIPs].filter(Boolean).join(", ");
    const nodePorts = s.nodePorts.length ? " :" + s.nodePorts.join(",") : "";
    parts.push(`<g data-service="${esc(s.ref)}"><title>${esc(s.ref)} (${esc(s.type)}) ${esc(s.ports.join(" "))}
endpoints: ${esc(s.endpoints.join(", ") || "none")}</title>
      <rect class="svc-box" x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="6"/>
      <text class="title" x="${box.x + 8}" y="${box.y + 17}">${esc(s.ref)}</text>
      <text class="sub" x="${box.x + 8}" y="${box.y + 33}">${esc(where + nodePorts)} · ${s.endpoints.length} endpoints</text></g>`);
  }
  for (const box of boxes.nodes) {
    const n = box.node;
    parts.push(`<g data-node="${esc(n.name)}"><rect class="node-box${n.ready ? "" : " not-ready"}"
      x="${box.x}" y="${box.y}" width="${box.w}" height="${box.h}" rx="8"/>
      <text class="title" x="${box.x + 10}" y="${box.y + 18}">${esc(n.name)}</text>
      <text class="sub" x="${box.x + 10}" y="${box.y + 32}">${esc(n.ip || "")} · pods ${esc(n.podCIDR || "")} · ${box.pods.length} pods</text></g>`);
    for (const p of box.pods) {
      const spot = at[p.ref];
      const isolated = p.isolated.ingress.length || p.isolated.egress.length;
      const classes = "pod" + (p.ready ? "" : " unready") + (isolated ? " isolated" : "") +
                      (state.selected === p.ref ? " selected" : "");
      const label = spot.cell >= 40 ? `<text class="pod-label" x="${spot.x}" y="${spot.y + spot.r + 10}"
        text-anchor="middle">${esc(shortName(p.ref, Math.floor(spot.cell / 5.5)))}</text>` : "";
      parts.push(`<circle class="${classes}" data-pod="${esc(p.ref)}" cx="${spot.x}" cy="${spot.y}"
        r="${spot.r}"><title>${esc(p.ref)} ${esc(p.ip || "")} (${esc(p.phase)}${p.ready ? ", ready" : ""})</title></circle>${label}`);
    }
  }
  svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(height, 200)}`);
  document.getElementById("layout").innerHTML = parts.join("");
  state.at = at;
  document.getElementById("counts").textContent =
    `${map.nodes.length} nodes · ${map.pods.length} pods · ${map.services.length} services · ` +
    `${map.policies.length} network policies`;
  drawPolicies(map.policies);
  window.kubemn.maps += 1;
  if (window.kubemn.firstPaint === null) {
    window.kubemn.firstPaint = performance.now();
  }
  if (state.selected) {
    showDetails(state.selected, false);
  }
}

function drawPolicies(policies) {
  // Each NetworkPolicy, the directions it isolates, the pods it selects.
  const list = document.getElementById("policies");
  list.innerHTML = policies.length ? policies.map(p => `<li data-policy="${esc(p.ref)}">
    <strong>${esc(p.ref)}</strong> <span class="types">(${esc(p.types.join(", "))})</span>:
    ${esc(p.selects.join(", ") || "selects no pod")}</li>`).join("") : "<li>none</li>";
}

// --- flows -----------------------------------------------------------------------
function end(e) {
  const where = e.port ? `${e.ip}:${e.port}` : e.ip;
  return e.name ? `${e.name} (${where})` : where;
}

function recordLine(r) {
  const time = new Date(r.time * 1000).toLocaleTimeString();
  let line = `${time} ${r.node} ${r.event} ${end(r.source)} -> ${end(r.destination)} ${r.protocol}`;
  if (r.service) line += ` [service ${r.service}]`;
  if (r.client) line += ` [from ${end(r.client)}]`;
  if (r.reason) line += `: ${r.reason}`;
  return line;
}

function fillList(list, records) {
  list.innerHTML = records.map(r => `<li class="${esc(r.verdict)}" data-verdict="${esc(r.verdict)}"
    data-from="${esc(r.source.name || r.source.ip)}" data-to="${esc(r.destination.name || r.destination.ip)}"
    >${esc(recordLine(r))}</li>`).join("");
}

function drawFlows(digest) {
  const layer = document.getElementById("flows");
  const now = Date.now();
  for (const edge of digest.edges) {
    const a = state.at[edge.from], b = state.at[edge.to];
    if (!a || !b) continue;
    const line = document.createElementNS(SVG, "path");
    const bend = (edge.from === edge.to) ? 20 : 0;
    const mx = (a.x + b.x) / 2 + bend, my = (a.y + b.y) / 2 - 30 - bend;
    line.setAttribute("d", `M${a.x},${a.y} Q${mx},${my} ${b.x},${b.y}`);
    line.setAttribute("class", "flow " + edge.verdict);
    line.setAttribute("stroke-width", String(1.5 + Math.log2(edge.count)));
    line.dataset.from = edge.from;
    line.dataset.to = edge.to;
    line.dataset.verdict = edge.verdict;
    line.dataset.count = edge.count;
    if (edge.policies) line.dataset.policies = edge.policies.join(" ");
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${edge.from} -> ${edge.to}: ${edge.count} ${edge.verdict}` +
                        (edge.reason ? ` (${edge.reason})` : "");
    line.appendChild(title);
    layer.appendChild(line);
    const drawn = [line];
    if (edge.verdict !== "FORWARDED") {
      const tag = document.createElementNS(SVG, "text");
      tag.setAttribute("class", "flow-tag " + edge.verdict);
      tag.setAttribute("x", mx);
      tag.setAttribute("y", my);
      tag.textContent = edge.verdict === "REJECTED" ? "✕ no endpoints" :
        "✕ " + (edge.policies ? edge.policies.join(", ") : "dropped");
      layer.appendChild(tag);
      drawn.push(tag);
    }
    setTimeout(() => drawn.forEach(d => d.remove()), FLOW_MS);
  }
  const fresh = digest.recent.filter(r => !state.seenRecords.has(r.time + end(r.source) + r.event));
  for (const r of fresh) {
    state.seenRecords.add(r.time + end(r.source) + r.event);
    window.kubemn.flowDelays.push({delay: now / 1000 - r.time, from: r.source.name || r.source.ip});
  }
  if (state.seenRecords.size > 5000) state.seenRecords = new Set([...state.seenRecords].slice(-1000));
  state.recent = fresh.reverse().concat(state.recent).slice(0, RECENT_SHOWN);
  fillList(document.getElementById("recent"), state.recent);
  if (digest.more) {
    document.getElementById("status").textContent = `${digest.more} more pairs not drawn`;
  }
}

// --- a pod's details and a trace ----------------------------------------------------
async function showDetails(ref, scroll) {
  state.selected = ref;
  const answer = await fetch(url("/pod", {pod: ref}));
  const body = await answer.json();
  const section = document.getElementById("details");
  if (!answer.ok) {
    document.getElementById("details-title").textContent = body.error;
    document.getElementById("details-fields").innerHTML = "";
    return;
  }
  const p = body.pod;
  section.hidden = false;
  document.getElementById("details-title").textContent = p.ref;
  const labels = Object.entries(p.labels).map(([k, v]) => `${k}=${v}`).join(", ") || "none";
  const fields = [["address", p.ip], ["node", p.node], ["phase", p.phase + (p.ready ? ", ready" : ", not ready")],
                  ["labels", labels],
                  ["ingress", p.isolated.ingress.length ? "isolated by " + p.isolated.ingress.join(", ") : "not isolated"],
                  ["egress", p.isolated.egress.length ? "isolated by " + p.isolated.egress.join(", ") : "not isolated"]];
  document.getElementById("details-fields").innerHTML =
    fields.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v || "")}</dd>`).join("");
  fillList(document.getElementById("details-flows"), body.flows.slice().reverse());
  if (scroll) section.scrollIntoView();
}

document.getElementById("map").addEventListener("click", event => {
  const ref = event.target.dataset && event.target.dataset.pod;
  if (ref) {
    document.getElementById("trace-output").textContent = "";
    showDetails(ref, true);
    document.querySelectorAll(".pod.selected").forEach(c => c.classList.remove("selected"));
    event.target.classList.add("selected");
  }
});

document.getElementById("trace-form").addEventListener("submit", async event => {
  event.preventDefault();
  const output = document.getElementById("trace-output");
  output.textContent = "tracing…";
  const answer = await fetch(url("/trace", {from: state.selected,
    to: document.getElementById("trace-to").value.trim(),
    proto: document.getElementById("trace-proto").value}));
  const body = await answer.json();
  output.textContent = answer.ok ? body.text : "Error: " + body.error;
  if (answer.ok) drawTrace(body.path, body.verdict);
});

function drawTrace(path, verdict) {
  // The places the traced packet crossed, numbered, over the map; where it ended.
  const layer = document.getElementById("trace");
  layer.innerHTML = "";
  const spots = path.map(place => state.at[place]).filter(Boolean);
  if (!spots.length) return;
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", spots.map(s => `${s.x},${s.y}`).join(" "));
  line.setAttribute("class", "trace-path " + verdict);
  line.dataset.hops = spots.length;
  line.dataset.verdict = verdict;
  layer.appendChild(line);
  spots.forEach((spot, i) => {
    const mark = document.createElementNS(SVG, "text");
    mark.setAttribute("class", "trace-step");
    mark.setAttribute("x", spot.x + 6);
    mark.setAttribute("y", spot.y - 6);
    mark.textContent = String(i + 1);
    layer.appendChild(mark);
  });
  if (verdict !== "answered") {
    const end = spots[spots.length - 1];
    const cross = document.createElementNS(SVG, "text");
    cross.setAttribute("class", "trace-end");
    cross.setAttribute("x", end.x + 8);
    cross.setAttribute("y", end.y + 14);
    cross.textContent = "✕ " + verdict.toLowerCase();
    layer.appendChild(cross);
  }
}

// --- the stream ------------------------------------------------------------------
function connect() {
  const events = new EventSource(url("/events"));
  events.addEventListener("cluster", e => { state.map = JSON.parse(e.data); drawMap(state.map); });
  events.addEventListener("flows", e => drawFlows(JSON.parse(e.data)));
  events.onopen = () => { document.getElementById("status").textContent = "live"; };
  events.onerror = () => { document.getElementById("status").textContent = "reconnecting…"; };
}

window.addEventListener("resize", () => state.map && drawMap(state.map));
connect();
