// blockwire live network page: one SSE stream (../events) of netview
// frames, a snapshot then deltas, drawn as an SVG graph and a few tables.
// Plain JavaScript, no build step. window.bwui exposes the state and the
// page's own timing for tests and measurement.
'use strict';

const S = {
  seq: 0, nodes: new Map(), links: new Map(), routes: new Map(),
  waves: new Map(), history: [], pos: new Map(), topoKey: '',
  selected: null, dropped: 0, wavesDropped: 0, wavesSeen: 0,
  bytes: 0, frames: 0, snapshots: 0, started: performance.now(),
};
const NS = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const W = 1000, H = 700;

// ---- stream ----------------------------------------------------------

let es = null;
function connect() {
  if (es) es.close();
  es = new EventSource('../events');
  es.addEventListener('snapshot', (e) => { count(e); applySnapshot(JSON.parse(e.data)); });
  es.addEventListener('delta', (e) => {
    count(e);
    const f = JSON.parse(e.data);
    if (f.seq <= S.seq) return;
    if (f.seq !== S.seq + 1) { connect(); return; } // a gap: start again from a snapshot
    applyDelta(f);
  });
  es.onerror = () => { $('summary').textContent = 'stream interrupted; reconnecting…'; };
}
function count(e) { S.bytes += e.data.length + 16; S.frames++; }

function applySnapshot(f) {
  S.snapshots++;
  S.nodes.clear(); S.links.clear(); S.routes.clear(); S.waves.clear();
  S.history = f.consensus || [];
  S.dropped = f.dropped || 0;
  apply(f);
  for (const w of f.waves || []) mergeWave(w, false);
}

function applyDelta(f) {
  apply(f);
  for (const p of f.consensus || []) S.history.push(p);
  if (S.history.length > 600) S.history.splice(0, S.history.length - 600);
  let newest = null;
  for (const w of f.waves || []) { const m = mergeWave(w, true); if (!newest || m.height > newest.height) newest = m; }
  if (newest) animateWave(newest);
}

function apply(f) {
  S.seq = f.seq;
  S.wavesDropped = f.waves_dropped || 0;
  if (f.dropped) S.dropped = f.dropped;
  for (const n of f.nodes || []) S.nodes.set(n.id, n);
  for (const id of f.nodes_gone || []) { S.nodes.delete(id); S.routes.delete(id); }
  for (const l of f.links || []) S.links.set(l.from + '>' + l.to, l);
  for (const k of f.links_gone || []) S.links.delete(k);
  for (const r of f.routes || []) S.routes.set(r.node, r.routes || []);
  schedule();
}

function mergeWave(w, fresh) {
  let m = S.waves.get(w.block);
  if (!m) {
    m = { block: w.block, height: w.height, producer: w.producer, arrivals: new Map() };
    S.waves.set(w.block, m);
    if (fresh) S.wavesSeen++;
  }
  for (const a of w.arrivals) m.arrivals.set(a.node, a);
  if (S.waves.size > 24) {
    const low = [...S.waves.values()].sort((a, b) => a.height - b.height)[0];
    S.waves.delete(low.block);
  }
  return m;
}

// ---- names and helpers -----------------------------------------------

const collator = new Intl.Collator(undefined, { numeric: true }); // one, not one per comparison
const short = (id) => id.length > 10 ? '…' + id.slice(-6) : id;
const nameOf = (id) => { const n = S.nodes.get(id); return n && n.name ? n.name : short(id); };
const fmtRate = (b) => b >= 1e6 ? (b / 1e6).toFixed(1) + ' MB' : b >= 1e3 ? (b / 1e3).toFixed(1) + ' kB' : Math.round(b) + ' B';
function el(tag, attrs, parent) {
  const e = document.createElementNS(NS, tag);
  for (const k in attrs) e.setAttribute(k, attrs[k]);
  if (parent) parent.appendChild(e);
  return e;
}
function latest() { return S.history.length ? S.history[S.history.length - 1] : null; }
function leader() {
  const p = latest();
  if (p && p.leader) return p.leader;
  for (const n of S.nodes.values()) if (n.producing && !n.remote) return n.id;
  return '';
}
function producers() {
  const out = new Set();
  for (const n of S.nodes.values()) if (n.role === 'producer') out.add(n.id);
  for (const l of S.links.values()) for (const p in (l.tree || {})) out.add(p);
  return [...out].sort((a, b) => collator.compare(nameOf(a), nameOf(b)));
}
function sortedNodes() {
  return [...S.nodes.values()].sort((a, b) => collator.compare(a.name || a.id, b.name || b.id));
}

// ---- layout: a small force simulation, rerun when the topology changes --

function layout() {
  const nodes = sortedNodes();
  const pairs = new Set();
  for (const l of S.links.values()) if (l.connected) pairs.add(l.from < l.to ? l.from + '|' + l.to : l.to + '|' + l.from);
  const key = nodes.map((n) => n.id).join(',') + '/' + [...pairs].sort().join(',');
  if (key === S.topoKey) return;
  S.topoKey = key;
  const n = nodes.length;
  nodes.forEach((nd, i) => {
    if (S.pos.has(nd.id)) return;
    const a = (2 * Math.PI * i) / Math.max(n, 1), r = nd.role === 'producer' ? 120 : 280;
    S.pos.set(nd.id, { x: W / 2 + r * Math.cos(a), y: H / 2 + r * Math.sin(a) });
  });
  for (const id of [...S.pos.keys()]) if (!S.nodes.has(id)) S.pos.delete(id);
  const P = nodes.map((nd) => S.pos.get(nd.id));
  const idx = new Map(nodes.map((nd, i) => [nd.id, i]));
  const E = [...pairs].map((p) => p.split('|').map((id) => idx.get(id))).filter((e) => e[0] !== undefined && e[1] !== undefined);
  const k = Math.sqrt((W * H) / Math.max(n, 1)) * 0.55;
  for (let it = 0, t = 40; it < 250; it++, t *= 0.985) {
    const d = P.map(() => ({ x: 0, y: 0 }));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      let dx = P[i].x - P[j].x, dy = P[i].y - P[j].y, dist = Math.hypot(dx, dy) || 0.01;
      const f = (k * k) / dist;
      dx /= dist; dy /= dist;
      d[i].x += dx * f; d[i].y += dy * f; d[j].x -= dx * f; d[j].y -= dy * f;
    }
    for (const [a, b] of E) {
      let dx = P[a].x - P[b].x, dy = P[a].y - P[b].y, dist = Math.hypot(dx, dy) || 0.01;
      const f = (dist * dist) / k;
      dx /= dist; dy /= dist;
      d[a].x -= dx * f; d[a].y -= dy * f; d[b].x += dx * f; d[b].y += dy * f;
    }
    for (let i = 0; i < n; i++) {
      d[i].x += (W / 2 - P[i].x) * 0.02 * k / 10; d[i].y += (H / 2 - P[i].y) * 0.02 * k / 10; // gravity
      const len = Math.hypot(d[i].x, d[i].y) || 1, step = Math.min(len, t);
      P[i].x = Math.min(W - 40, Math.max(40, P[i].x + (d[i].x / len) * step));
      P[i].y = Math.min(H - 40, Math.max(40, P[i].y + (d[i].y / len) * step));
    }
  }
  fit(P);
}

// fit scales the layout to fill the drawing, keeping its proportions.
function fit(P) {
  if (P.length < 2) return;
  const xs = P.map((p) => p.x), ys = P.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const s = Math.min((W - 120) / Math.max(x1 - x0, 1), (H - 120) / Math.max(y1 - y0, 1), 3);
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  for (const p of P) { p.x = W / 2 + (p.x - cx) * s; p.y = H / 2 + (p.y - cy) * s; }
}

// ---- rendering ---------------------------------------------------------

let pending = false;
const renderTimes = [];
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const t = performance.now();
    render();
    renderTimes.push(performance.now() - t);
    if (renderTimes.length > 500) renderTimes.shift();
  });
}

function render() {
  layout();
  fillSelect($('producer'), producers());
  fillSelect($('dest'), routeDests());
  renderEdges();
  renderNodes();
  renderSummary();
  renderConsensus();
  renderWave();
  renderLanes();
}

function fillSelect(sel, ids) {
  const key = ids.join(',');
  if (sel.dataset.key === key) return;
  const cur = sel.value;
  sel.dataset.key = key;
  sel.replaceChildren(...ids.map((id) => { const o = document.createElement('option'); o.value = id; o.textContent = nameOf(id); return o; }));
  if (ids.includes(cur)) sel.value = cur;
  else if (sel.id === 'producer' && ids.includes(leader())) sel.value = leader();
}

function routeDests() {
  const out = new Set();
  for (const rs of S.routes.values()) for (const r of rs) out.add(r.dest);
  return [...out].sort((a, b) => collator.compare(nameOf(a), nameOf(b)));
}

// modeOf is what a→b carries under the chosen overlay.
function modeOf(l, overlay, prod) {
  if (!l) return '';
  if (!l.connected) return 'down';
  if (overlay === 'tree' && prod && l.tree && l.tree[prod]) return l.tree[prod];
  return l.mode || 'active';
}
const rank = { active: 3, backup: 2, off: 1, down: 0, '': -1 };

function renderEdges() {
  const g = $('edges');
  const overlay = $('overlay').value, prod = $('producer').value, dest = $('dest').value;
  $('producerLabel').hidden = overlay !== 'tree';
  $('destLabel').hidden = overlay !== 'routes';
  const pairs = new Map();
  for (const l of S.links.values()) {
    const [a, b] = l.from < l.to ? [l.from, l.to] : [l.to, l.from];
    if (!S.pos.has(a) || !S.pos.has(b)) continue;
    const k = a + '|' + b;
    if (!pairs.has(k)) pairs.set(k, { a, b });
  }
  const hops = new Set();
  if (overlay === 'routes') {
    for (const [node, rs] of S.routes) for (const r of rs) if (r.dest === dest && r.next_hop && r.reachable) hops.add(node + '>' + r.next_hop);
  }
  for (const [k, e] of edgeEls) if (!pairs.has(k)) { e.line.remove(); edgeEls.delete(k); }
  for (const [k, { a, b }] of pairs) {
    let e = edgeEls.get(k);
    if (!e) {
      const line = el('line', { 'data-a': a, 'data-b': b }, g);
      e = { line, title: el('title', {}, line), key: '' };
      edgeEls.set(k, e);
    }
    const pa = S.pos.get(a), pb = S.pos.get(b);
    const ab = S.links.get(a + '>' + b), ba = S.links.get(b + '>' + a);
    let cls, start = '', end = '', title = '';
    if (overlay === 'routes') {
      const fwd = hops.has(a + '>' + b), back = hops.has(b + '>' + a);
      cls = 'edge ' + (fwd || back ? 'route' : 'faint');
      if (fwd) end = 'url(#arrow-route)';
      if (back) start = 'url(#arrow-route)';
    } else {
      const mab = modeOf(ab, overlay, prod), mba = modeOf(ba, overlay, prod);
      const best = rank[mab] >= rank[mba] ? mab : mba;
      cls = 'edge ' + (best || 'down');
      if (best === 'active') {
        if (mab === 'active') end = 'url(#arrow-active)';
        if (mba === 'active') start = 'url(#arrow-active)';
      }
      title = `${nameOf(a)} → ${nameOf(b)}: ${mab || '?'}; ${nameOf(b)} → ${nameOf(a)}: ${mba || '?'}`;
    }
    // Touch the DOM only when something the eye sees changed.
    const key = [pa.x, pa.y, pb.x, pb.y, cls, start, end, title].join(',');
    if (key === e.key) continue;
    e.key = key;
    for (const [attr, v] of [['x1', pa.x], ['y1', pa.y], ['x2', pb.x], ['y2', pb.y], ['class', cls]]) e.line.setAttribute(attr, v);
    if (start) e.line.setAttribute('marker-start', start); else e.line.removeAttribute('marker-start');
    if (end) e.line.setAttribute('marker-end', end); else e.line.removeAttribute('marker-end');
    e.title.textContent = title;
  }
}
const edgeEls = new Map();

const nodeEls = new Map();
function renderNodes() {
  const g = $('nodes');
  const lead = leader();
  let maxHead = 0;
  for (const n of S.nodes.values()) if (!n.down) maxHead = Math.max(maxHead, n.head);
  for (const [id, e] of nodeEls) if (!S.nodes.has(id)) { e.g.remove(); nodeEls.delete(id); }
  for (const n of S.nodes.values()) {
    let e = nodeEls.get(n.id);
    if (!e) {
      const grp = el('g', { 'data-id': n.id }, g);
      grp.addEventListener('click', () => { S.selected = n.id; schedule(); });
      e = { g: grp, ring: el('circle', { class: 'ring', r: 19 }, grp), pulse: el('circle', { class: 'pulse', r: 14 }, grp),
        body: el('circle', { class: 'body', r: 14 }, grp), name: el('text', { dy: -21 }, grp),
        sub: el('text', { class: 'sub', dy: 30 }, grp), title: el('title', {}, grp) };
      nodeEls.set(n.id, e);
    }
    const p = S.pos.get(n.id) || { x: W / 2, y: H / 2 };
    const key = [p.x, p.y, n.head, n.irreversible, n.down, n.role, n.remote, n.id === lead, n.id === S.selected, maxHead, n.name, n.term, n.sync, n.peers, n.error].join(',');
    if (key === e.key) continue; // nothing the eye sees changed
    e.key = key;
    e.g.setAttribute('transform', `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
    const cls = ['node', n.role === 'producer' ? 'producer' : 'full'];
    if (n.remote) cls.push('remote');
    if (n.down) cls.push('down');
    if (n.id === lead) cls.push('leader');
    if (n.id === S.selected) cls.push('selected');
    e.g.setAttribute('class', cls.join(' '));
    e.name.textContent = nameOf(n.id);
    const lag = maxHead - n.head;
    e.sub.textContent = `${n.head}/${n.irreversible}` + (lag > 2 && !n.down ? ` −${lag}` : '');
    e.sub.setAttribute('class', 'sub' + (lag > 2 && !n.down ? ' lag' : ''));
    e.title.textContent = `${n.name || ''} ${n.id}\nrole ${n.role || '?'}${n.remote ? ' (seen from a neighbour)' : ''}\n` +
      `head ${n.head} irreversible ${n.irreversible} lag ${lag}\nterm ${n.term} sync ${n.sync || '?'} peers ${n.peers}` +
      (n.error ? `\n${n.error}` : '');
  }
}

function renderSummary() {
  const p = latest();
  const nodes = [...S.nodes.values()];
  const up = nodes.filter((n) => !n.down && !n.remote).length;
  const lead = leader();
  $('summary').innerHTML = '';
  const parts = [['nodes', `${nodes.length}`], ['reporting', `${up}`], ['leader', lead ? nameOf(lead) : '—'],
    ['term', p ? p.term : '—'], ['irreversible', p ? `${p.irr_min}…${p.irr_max}` : '—'], ['head', p ? `${p.head_min}…${p.head_max}` : '—']];
  for (const [k, v] of parts) {
    const s = document.createElement('span');
    s.innerHTML = `${k} <b></b> `;
    s.querySelector('b').textContent = v;
    if (k === 'leader') { s.id = 'leader'; s.dataset.leader = lead; }
    $('summary').appendChild(s);
  }
  const secs = (performance.now() - S.started) / 1000;
  const ft = frameStats();
  $('streamstats').textContent = `stream ${fmtRate(S.bytes / secs)}/s · ${S.frames} frames · dropped ${S.dropped}` +
    ` · waves dropped ${S.wavesDropped} · frame p95 ${ft.p95.toFixed(1)} ms`;
}

function renderConsensus() {
  const p = latest();
  const info = $('consensusInfo');
  info.innerHTML = '';
  const kv = p ? [['term/view', p.term], ['leader', p.leader ? nameOf(p.leader) : '—'], ['irreversible', `${p.irr_min}…${p.irr_max}`], ['up', p.up]] : [];
  for (const [k, v] of kv) { const s = document.createElement('span'); s.textContent = k + ' '; const b = document.createElement('b'); b.textContent = v; s.appendChild(b); info.appendChild(s); }
  const c = $('chart'), ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  const h = S.history;
  if (h.length < 2) return;
  const t0 = h[0].time_ms, t1 = h[h.length - 1].time_ms || t0 + 1;
  let lo = Infinity, hi = -Infinity;
  for (const q of h) { if (!q.up) continue; lo = Math.min(lo, q.irr_min); hi = Math.max(hi, q.head_max); }
  if (!isFinite(lo)) return;
  if (hi === lo) hi = lo + 1;
  const X = (t) => 30 + ((t - t0) / Math.max(1, t1 - t0)) * (c.width - 36);
  const Y = (v) => c.height - 14 - ((v - lo) / (hi - lo)) * (c.height - 24);
  ctx.strokeStyle = '#f5c542'; ctx.setLineDash([3, 3]);
  for (let i = 1; i < h.length; i++) if (h[i].term !== h[i - 1].term) { ctx.beginPath(); ctx.moveTo(X(h[i].time_ms), 4); ctx.lineTo(X(h[i].time_ms), c.height - 12); ctx.stroke(); }
  ctx.setLineDash([]);
  const line = (f, color) => {
    ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
    let started = false;
    for (const q of h) { if (!q.up) continue; const x = X(q.time_ms), y = Y(f(q)); if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; } }
    ctx.stroke();
  };
  line((q) => q.head_max, '#4da3ff');
  line((q) => q.irr_max, '#3ecf8e');
  ctx.fillStyle = '#7b8794'; ctx.font = '10px sans-serif';
  ctx.fillText(String(hi), 2, 12); ctx.fillText(String(lo), 2, c.height - 14);
  ctx.fillText(`${Math.round((t1 - t0) / 1000)} s`, c.width - 30, c.height - 2);
}

// The latest wave with the most arrivals among the last few blocks.
function currentWave() {
  const ws = [...S.waves.values()].sort((a, b) => b.height - a.height).slice(0, 4);
  let best = null;
  for (const w of ws) if (!best || w.arrivals.size > best.arrivals.size) best = w;
  return best;
}

function renderWave() {
  const w = currentWave();
  const body = $('waveTable').tBodies[0];
  if (!w) { body.replaceChildren(); $('waveInfo').textContent = 'no block yet'; return; }
  const arr = [...w.arrivals.values()].sort((a, b) => a.at_us - b.at_us);
  const origin = (arr.find((a) => a.produced) || arr[0]).at_us;
  $('waveInfo').textContent = `block ${w.height} by ${w.producer ? nameOf(w.producer) : '?'} · ${arr.length} nodes · ` +
    `spread ${((arr[arr.length - 1].at_us - origin) / 1000).toFixed(1)} ms · ${S.wavesSeen} waves`;
  body.replaceChildren(...arr.map((a) => {
    const tr = document.createElement('tr');
    tr.className = 'arrival' + (a.produced ? ' produced' : '');
    tr.dataset.node = a.node;
    for (const v of [nameOf(a.node), a.produced ? 'produced' : `+${((a.at_us - origin) / 1000).toFixed(1)} ms`, a.produced ? '' : a.copies]) {
      const td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
    }
    return tr;
  }));
}

// animateWave pulses each node in the order the block reached it, the
// spread stretched to about a second so that a LAN's milliseconds show. At
// most one wave a second is animated (blocks may come ten times faster);
// the Web Animations API moves only transform and opacity, so no layout.
let lastWaveAnim = 0;
function animateWave(w) {
  const now = performance.now();
  if (now - lastWaveAnim < 1000 || document.hidden) return;
  lastWaveAnim = now;
  const arr = [...w.arrivals.values()].sort((a, b) => a.at_us - b.at_us);
  if (!arr.length) return;
  const t0 = arr[0].at_us, span = Math.max(1, arr[arr.length - 1].at_us - t0);
  const scale = Math.min(1, 900 / (span / 1000)) / 1000;
  for (const a of arr) {
    const e = nodeEls.get(a.node);
    if (!e) continue;
    e.pulse.animate([{ transform: 'scale(1)', opacity: 1 }, { transform: 'scale(2.4)', opacity: 0 }],
      { duration: 900, delay: (a.at_us - t0) * scale, easing: 'ease-out' });
  }
}

function renderLanes() {
  if (!S.selected || !S.nodes.has(S.selected)) {
    const self = sortedNodes().find((n) => !n.remote);
    S.selected = self ? self.id : null;
  }
  const id = S.selected, prod = $('producer').value;
  $('lanesNode').textContent = id ? `of ${nameOf(id)}` : '';
  const rows = [...S.links.values()].filter((l) => l.from === id).sort((a, b) => collator.compare(nameOf(a.to), nameOf(b.to)));
  $('lanes').tBodies[0].replaceChildren(...rows.map((l) => {
    const tr = document.createElement('tr');
    const tree = l.tree && prod ? l.tree[prod] || '' : '';
    const lanes = (l.lanes || []).map((x) => x.queued).join('/');
    const cells = [nameOf(l.to), (l.direction || '').replace('bound', ''), l.connected ? l.mode || '' : 'down', tree, l.rtt_ms.toFixed(1), fmtRate(l.queued),
      fmtRate(l.in_bps), fmtRate(l.out_bps), lanes];
    cells.forEach((v, i) => {
      const td = document.createElement('td'); td.textContent = v;
      if (i === 2 || i === 3) td.className = 'mode-' + v;
      tr.appendChild(td);
    });
    return tr;
  }));
}

// ---- responsiveness: animation-frame intervals, for the header and tests --

const frameGaps = [];
let lastFrame = 0;
function tick(t) {
  if (lastFrame) { frameGaps.push(t - lastFrame); if (frameGaps.length > 600) frameGaps.shift(); }
  lastFrame = t;
  requestAnimationFrame(tick);
}
function pct(xs, q) { if (!xs.length) return 0; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; }
function frameStats() {
  return { frames: frameGaps.length, p50: pct(frameGaps, 0.5), p95: pct(frameGaps, 0.95), max: Math.max(0, ...frameGaps),
    renderP50: pct(renderTimes, 0.5), renderP95: pct(renderTimes, 0.95), renderMax: Math.max(0, ...renderTimes), renders: renderTimes.length };
}

window.bwui = {
  state: S,
  frameStats,
  leader,
  streamStats: () => ({ bytes: S.bytes, frames: S.frames, snapshots: S.snapshots, seconds: (performance.now() - S.started) / 1000, dropped: S.dropped }),
};

for (const id of ['overlay', 'producer', 'dest']) $(id).addEventListener('change', schedule);
requestAnimationFrame(tick);
connect();
