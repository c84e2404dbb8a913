// pinnsweep dashboard: polls the JSON API every second and draws the
// sweeps, the selected sweep's phase diagram (SVG), a cell's trials and a
// trial's fields (canvas) and loss curves (SVG). No dependencies.
'use strict';
(function () {
  const POLL_MS = 1000;
  const DIAGRAM_MAX_AGE_MS = 10000;
  const SVGNS = 'http://www.w3.org/2000/svg';
  // Colour ramps of a trial's fields (not of the phase diagram, whose
  // colours, verdicts, labels and legend come from the server).
  const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [110, 206, 88], [181, 222, 43], [253, 231, 37]];
  const DIVERGING = [[5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
    [247, 247, 247], [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31]];

  const state = {
    sweep: null,      // selected sweep name
    cell: null,       // selected cell "x,y"
    trial: null,      // selected trial key
    trialStamp: '',   // status/attempts of the shown trial detail
    diagram: null,    // last Diagram
    diagramText: '',  // its JSON, to skip redraws
    diagramStamp: '', // the sweep's progress when it was fetched
    diagramAt: 0,     // when it was fetched (ms)
    listText: '',
  };

  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k.startsWith('data-')) e.setAttribute(k, v); else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  function s(tag, attrs, ...children) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }

  async function getJSON(url) {
    const r = await fetch(url, { cache: 'no-store' });
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    if (!r.ok) throw new Error((body && body.error) || (r.status + ' ' + r.statusText));
    return body;
  }

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

  function ramp(stops, f) {
    const p = clamp(f, 0, 1) * (stops.length - 1);
    const i = Math.min(Math.floor(p), stops.length - 2);
    const r = p - i;
    return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * r));
  }


  function fmt(v) {
    if (v === null || v === undefined) return '—';
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 0.01 && a < 1000) return String(Number(v.toPrecision(3)));
    return v.toExponential(2);
  }

  function tickLabel(k) {
    return k >= -2 && k <= 3 ? String(Math.pow(10, k).toFixed(Math.max(0, -k))) : '1e' + k;
  }

  function setConn(ok, msg) {
    const c = $('conn');
    c.textContent = ok ? 'live' : 'disconnected: ' + msg;
    c.classList.toggle('bad', !ok);
  }

  // ---- sweeps ----

  function renderSweeps(list) {
    const text = JSON.stringify(list) + '|' + state.sweep;
    if (text === state.listText) return;
    state.listText = text;
    const body = $('sweep-list').querySelector('tbody');
    body.replaceChildren();
    $('no-sweeps').hidden = list.length > 0;
    for (const p of list) {
      const pct = p.total ? 100 * p.ended / p.total : 0;
      const bar = h('span', { class: 'bar' }, h('span'));
      bar.firstChild.style.width = pct.toFixed(1) + '%';
      const row = h('tr', { 'data-sweep': p.sweep, 'data-ended': p.ended, 'data-total': p.total },
        h('td', {}, p.sweep),
        h('td', {}, bar, p.ended + ' / ' + p.total + (p.finished ? ' (finished)' : '')),
        ...[p.done, p.diverged, p.failed, p.timeout, p.cancelled, p.running, p.pending].map((n) => h('td', { class: 'num' }, n)));
      if (p.sweep === state.sweep) row.classList.add('selected');
      row.addEventListener('click', () => selectSweep(p.sweep));
      body.append(row);
    }
  }

  function selectSweep(name) {
    if (state.sweep === name) return;
    state.sweep = name;
    state.cell = null;
    state.trial = null;
    state.diagram = null;
    state.diagramText = '';
    state.diagramStamp = '';
    state.listText = '';
    history.replaceState(null, '', '#sweep=' + encodeURIComponent(name));
    $('cell-section').hidden = true;
    $('trial-section').hidden = true;
    $('diagram').replaceChildren();
    refresh();
  }

  // ---- phase diagram ----

  function cellAt(d, key) {
    return d.cells.find((c) => c.x + ',' + c.y === key) || null;
  }

  // renderDiagram draws the diagram the server laid out: each cell's fill
  // or hatch, text and outline, the boundary edges and the legend.
  function renderDiagram(d) {
    const CW = 96, CH = 60, TOP = 28;
    const nx = Math.max(d.x_values.length, 1), ny = Math.max(d.y_values.length, 1);
    const rowLabelW = Math.max(60, 7.2 * Math.max(0, ...d.y_values.map((v) => v.length)) + 16);
    const left = rowLabelW, gridW = nx * CW, gridH = ny * CH;
    const legendX = left + gridW + 36;
    // The legend: the colour bar (at least 180 high), then a row per key,
    // a heading and a row per failure class.
    const legendRows = d.legend.keys.length + 1 + d.legend.classes.length;
    const width = legendX + 220, height = Math.max(TOP + gridH + 56, TOP + Math.max(gridH, 180) + 24 + legendRows * 18);
    const root = s('svg', { id: 'diagram-svg', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
    const hatches = d.legend.hatches;
    root.append(s('defs', {}, ...Object.keys(hatches).map((k) => hatch('hatch-' + k, hatches[k].background, hatches[k].line))));

    if (d.y_axes.length) root.append(s('text', { x: 4, y: TOP - 10, 'font-size': 12, fill: '#5b6672' }, d.y_axes.join(' × ')));
    // With one row axis, its name heads the rows and the labels are values.
    const rowLabel = (v) => d.y_axes.length === 1 ? v.slice(d.y_axes[0].length + 1) : v;
    d.y_values.forEach((v, y) => root.append(s('text', {
      x: left - 8, y: TOP + y * CH + CH / 2 + 4, 'text-anchor': 'end', 'font-size': 12,
    }, rowLabel(v))));
    d.x_values.forEach((v, x) => root.append(s('text', {
      x: left + x * CW + CW / 2, y: TOP + gridH + 16, 'text-anchor': 'middle', 'font-size': 12,
    }, v)));
    if (d.x_axis) root.append(s('text', { x: left + gridW / 2, y: TOP + gridH + 36, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 600 }, d.x_axis));

    const markers = Object.fromEntries(d.legend.classes.map((k) => [k.class, k]));
    for (const c of d.cells) root.append(drawCell(c, left + c.x * CW, TOP + c.y * CH, CW, CH, markers));
    root.append(boundary(d, left, TOP, CW, CH));
    root.append(legend(d.legend, legendX, TOP, gridH));
    $('diagram').replaceChildren(root);
    markSelectedCell();
  }

  function hatch(id, bg, fg) {
    return s('pattern', { id, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
      s('rect', { width: 8, height: 8, fill: bg }),
      s('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: fg, 'stroke-width': 2 }));
  }

  // marker draws a failure class's marker (the server's polylines in
  // [-1, 1]², y down) centred at (cx, cy) with radius r.
  function marker(k, cx, cy, r, ink) {
    const g = s('g', { class: 'marker', 'data-class': k.class, 'pointer-events': 'none' });
    for (const path of k.paths) {
      const points = path.map((p) => (cx + r * p[0]).toFixed(2) + ',' + (cy + r * p[1]).toFixed(2)).join(' ');
      g.append(k.filled ? s('polygon', { points, fill: ink })
        : s('polyline', { points, fill: 'none', stroke: ink, 'stroke-width': 1.6 }));
    }
    return g;
  }

  function drawCell(c, x0, y0, w, hgt, markers) {
    const key = c.x + ',' + c.y;
    const g = s('g', {
      class: 'cell', id: 'cell-' + c.x + '-' + c.y, 'data-cell': key, 'data-state': c.state, 'data-verdict': c.verdict,
      'data-total': c.counts.total, 'data-done': c.counts.measured, 'data-failed': c.counts.unsuccessful,
      'data-open': c.counts.open, 'data-fill': c.fill || '', 'data-hatch': c.hatch || '',
      'data-class': c.failure_class || '', 'data-classes': c.classes,
    });
    if (c.median !== undefined && c.median !== null) g.setAttribute('data-median', String(c.median));
    const fill = c.fill || 'url(#hatch-' + c.hatch + ')';
    g.append(s('rect', { class: 'fill', x: x0, y: y0, width: w, height: hgt, fill }));
    const frame = s('rect', { class: 'frame', x: x0 + 1, y: y0 + 1, width: w - 2, height: hgt - 2, fill: 'none', stroke: '#fff', 'stroke-width': 2 });
    if (c.dashed) frame.setAttribute('stroke-dasharray', '4 3');
    g.append(frame);
    const y1 = y0 + hgt / 2 - (c.lines.length - 1) * 7 + 4;
    c.lines.forEach((t, i) => g.append(s('text', {
      x: x0 + w / 2, y: y1 + i * 14, 'text-anchor': 'middle', 'font-size': i === 0 ? 13 : 11, 'font-weight': i === 0 ? 700 : 400,
      fill: c.ink, 'pointer-events': 'none',
    }, t)));
    if (c.failure_class && markers[c.failure_class]) g.append(marker(markers[c.failure_class], x0 + w - 11, y0 + 11, 5.5, c.ink));
    g.append(s('title', {}, c.title));
    g.addEventListener('click', () => selectCell(key));
    return g;
  }

  // boundary draws the edges the server found between a passing and a
  // failing neighbour.
  function boundary(d, left, top, w, hgt) {
    const g = s('g', { class: 'boundary' });
    for (const e of d.boundary) {
      if (e.side === 'right') {
        const X = left + (e.x + 1) * w;
        g.append(s('line', { x1: X, y1: top + e.y * hgt, x2: X, y2: top + (e.y + 1) * hgt, stroke: '#000', 'stroke-width': 4 }));
      } else {
        const Y = top + (e.y + 1) * hgt;
        g.append(s('line', { x1: left + e.x * w, y1: Y, x2: left + (e.x + 1) * w, y2: Y, stroke: '#000', 'stroke-width': 4 }));
      }
    }
    return g;
  }

  // legend draws the server's legend: the colour bar bottom to top, its
  // ticks, the threshold and the keys.
  function legend(l, x0, y0, gridH) {
    const H = Math.max(gridH, 180), W = 18, n = l.stops.length;
    const g = s('g', { class: 'legend', 'data-threshold': l.threshold.label });
    g.append(s('text', { x: x0, y: y0 - 10, 'font-size': 12, fill: '#5b6672' }, l.title));
    l.stops.forEach((col, i) => g.append(s('rect', { x: x0, y: y0 + H - (i + 1) * H / n, width: W, height: H / n + 0.5, fill: col })));
    const yOf = (p) => y0 + H - p * H;
    for (const t of l.ticks) {
      g.append(s('line', { x1: x0 + W, y1: yOf(t.position), x2: x0 + W + 4, y2: yOf(t.position), stroke: '#1d232a' }));
      g.append(s('text', { x: x0 + W + 7, y: yOf(t.position) + 4, 'font-size': 11 }, t.label));
    }
    const ty = yOf(l.threshold.position);
    g.append(s('line', { x1: x0 - 4, y1: ty, x2: x0 + W + 4, y2: ty, stroke: '#000', 'stroke-width': 3 }));
    g.append(s('text', { x: x0 + W + 44, y: ty + 4, 'font-size': 11 }, l.threshold.label));
    l.keys.forEach((k, i) => {
      const ky = y0 + H + 14 + i * 18;
      const box = s('rect', { x: x0, y: ky, width: W, height: 12, fill: k.hatch ? 'url(#hatch-' + k.hatch + ')' : 'none' });
      if (k.dashed) { box.setAttribute('stroke', '#1d232a'); box.setAttribute('stroke-dasharray', '4 3'); }
      g.append(box);
      g.append(s('text', { x: x0 + W + 6, y: ky + 10, 'font-size': 11 }, k.label));
    });
    // The failure classes' markers.
    const cy0 = y0 + H + 14 + l.keys.length * 18;
    g.append(s('text', { x: x0, y: cy0 + 10, 'font-size': 11, fill: '#5b6672' }, 'corner: median replicate\'s class'));
    l.classes.forEach((k, i) => {
      const ky = cy0 + (i + 1) * 18;
      const row = s('g', { class: 'class-key', 'data-class': k.class });
      row.append(marker(k, x0 + W / 2, ky + 6, 5.5, '#1d232a'));
      row.append(s('text', { x: x0 + W + 6, y: ky + 10, 'font-size': 11 }, k.label));
      row.append(s('title', {}, k.description));
      g.append(row);
    });
    return g;
  }

  function markSelectedCell() {
    for (const g of document.querySelectorAll('#diagram .cell')) {
      g.classList.toggle('selected', g.getAttribute('data-cell') === state.cell);
    }
  }

  // ---- a cell's trials ----

  function selectCell(key) {
    state.cell = key;
    markSelectedCell();
    renderTrials();
  }

  function renderTrials() {
    const d = state.diagram;
    const c = d && state.cell ? cellAt(d, state.cell) : null;
    if (!c) { $('cell-section').hidden = true; return; }
    $('cell-section').hidden = false;
    $('cell-title').textContent = 'Trials of ' + (c.point.map((p) => p.axis + '=' + p.value).join(' ') || d.sweep);
    const body = $('trial-list').querySelector('tbody');
    body.replaceChildren();
    for (const t of c.trials) {
      const row = h('tr', { 'data-key': t.key, 'data-status': t.status, 'data-class': t.failure_class || '' },
        h('td', {}, t.seed),
        h('td', { class: 'status-' + t.status }, t.status),
        h('td', { class: 'class' }, t.failure_class || '—'),
        h('td', { class: 'num' }, t.rel_l2 === undefined ? '—' : fmt(t.rel_l2)),
        h('td', { class: 'num' }, t.attempts),
        h('td', {}, t.worker || ''),
        h('td', {}, t.reason || ''),
        h('td', {}, t.key.slice(0, 12)));
      if (t.key === state.trial) row.classList.add('selected');
      row.addEventListener('click', () => selectTrial(t.key));
      body.append(row);
    }
    // Reload the shown trial when its state changed.
    const shown = state.trial && c.trials.find((t) => t.key === state.trial);
    if (shown && shown.status + '/' + shown.attempts !== state.trialStamp) loadTrial();
  }

  // ---- one trial ----

  function selectTrial(key) {
    state.trial = key;
    state.trialStamp = '';
    for (const r of document.querySelectorAll('#trial-list tbody tr')) r.classList.toggle('selected', r.getAttribute('data-key') === key);
    loadTrial();
  }

  async function loadTrial() {
    const key = state.trial, sweep = state.sweep;
    if (!key || !sweep) return;
    try {
      const t = await getJSON('api/sweeps/' + encodeURIComponent(sweep) + '/trials/' + encodeURIComponent(key));
      if (state.trial !== key || state.sweep !== sweep) return;
      state.trialStamp = t.status + '/' + t.attempts;
      renderTrial(t);
    } catch (e) {
      $('trial-section').hidden = false;
      $('trial-title').textContent = 'Trial ' + key.slice(0, 12) + ': ' + e.message;
    }
  }

  function renderTrial(t) {
    $('trial-section').hidden = false;
    $('trial-title').textContent = 'Trial ' + t.point.map((p) => p.axis + '=' + p.value).join(' ') + ' — ' + t.status;
    const m = t.metrics || {};
    const items = [['status', t.status], ['attempts', t.attempts], ['rel_l2', fmt(m.rel_l2)], ['abs_err', fmt(m.abs_err)],
      ['linf_rel', fmt(m.linf_rel)], ['loss', fmt(m.loss)], ['loss_ic', fmt(m.loss_ic)], ['loss_bc', fmt(m.loss_bc)],
      ['loss_res', fmt(m.loss_res)], ['residual_grid', fmt(m.residual_grid)], ['evals', m.evals ?? '—'],
      ['iterations', m.iterations ?? '—'], ['seconds', m.seconds === undefined ? '—' : fmt(m.seconds)],
      ['stop', m.stop_reason || '—'], ['blas', m.blas || '—'], ['worker', t.worker || '—'], ['key', t.key.slice(0, 16)]];
    if (t.reason) items.push(['reason', t.reason]);
    $('trial-metrics').replaceChildren(...items.map(([k, v]) => h('div', { 'data-metric': k }, h('b', {}, k), v)));
    const note = $('solution-note');
    note.hidden = !t.solution_note;
    note.textContent = t.solution_note || '';
    $('solution').hidden = !t.solution;
    for (const id of ['canvas-exact', 'canvas-pred', 'canvas-err']) $(id).removeAttribute('data-drawn');
    if (t.solution) {
      const sol = t.solution;
      let lo = Infinity, hi = -Infinity;
      for (const v of sol.exact) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
      if (!(hi > lo)) { lo -= 1; hi += 1; }
      let emax = 0;
      for (const v of sol.abs_err) emax = Math.max(emax, v);
      drawField($('canvas-exact'), sol, sol.exact, DIVERGING, lo, hi);
      drawField($('canvas-pred'), sol, sol.pred, DIVERGING, lo, hi);
      drawField($('canvas-err'), sol, sol.abs_err, VIRIDIS, 0, emax || 1);
      const axes = 't → (' + fmt(sol.t[0]) + ' … ' + fmt(sol.t[sol.t.length - 1]) + '), x ↑ (' + fmt(sol.x[0]) + ' … ' + fmt(sol.x[sol.x.length - 1]) + ')';
      $('scale-exact').textContent = axes + '; colour ' + fmt(lo) + ' … ' + fmt(hi);
      $('scale-pred').textContent = 'same colour scale as exact';
      $('scale-err').textContent = 'colour 0 … ' + fmt(emax);
    }
    drawLoss($('loss'), t.history || []);
  }

  // drawField paints values (row-major by t: values[k*nx + j] at x[j],
  // t[k]) with t to the right and x upwards.
  function drawField(canvas, sol, values, stops, lo, hi) {
    const nx = sol.x.length, nt = sol.t.length;
    const off = document.createElement('canvas');
    off.width = nt;
    off.height = nx;
    const octx = off.getContext('2d');
    const img = octx.createImageData(nt, nx);
    for (let k = 0; k < nt; k++) {
      for (let j = 0; j < nx; j++) {
        const c = ramp(stops, (values[k * nx + j] - lo) / (hi - lo));
        const p = 4 * ((nx - 1 - j) * nt + k);
        img.data[p] = c[0]; img.data[p + 1] = c[1]; img.data[p + 2] = c[2]; img.data[p + 3] = 255;
      }
    }
    octx.putImageData(img, 0, 0);
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
    canvas.setAttribute('data-drawn', '1');
  }

  function drawLoss(box, hist) {
    const series = [['loss', '#1d232a'], ['loss_ic', '#0b63c5'], ['loss_bc', '#1b7f3b'], ['loss_res', '#d9730d']];
    const W = 640, H = 240, L = 56, R = 110, T = 10, B = 34;
    const root = s('svg', { id: 'loss-svg', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H });
    const pts = hist.filter((p) => p.eval >= 0);
    if (pts.length < 1) {
      root.append(s('text', { x: L, y: H / 2, 'font-size': 12, fill: '#5b6672' }, 'no loss history'));
      box.replaceChildren(root);
      return;
    }
    let ymin = Infinity, ymax = -Infinity;
    for (const p of pts) for (const [k] of series) if (p[k] > 0) { ymin = Math.min(ymin, Math.log10(p[k])); ymax = Math.max(ymax, Math.log10(p[k])); }
    if (!isFinite(ymin)) { ymin = -1; ymax = 0; }
    ymin = Math.floor(ymin); ymax = Math.max(Math.ceil(ymax), ymin + 1);
    const emax = Math.max(1, pts[pts.length - 1].eval);
    const X = (e) => L + e / emax * (W - L - R), Y = (l) => T + (ymax - l) / (ymax - ymin) * (H - T - B);
    root.append(s('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: 'none', stroke: '#d5dbe1' }));
    const step = Math.max(1, Math.ceil((ymax - ymin) / 6));
    for (let k = ymin; k <= ymax; k += step) {
      root.append(s('line', { x1: L, y1: Y(k), x2: W - R, y2: Y(k), stroke: '#eef0f2' }));
      root.append(s('text', { x: L - 6, y: Y(k) + 4, 'text-anchor': 'end', 'font-size': 11 }, tickLabel(k)));
    }
    root.append(s('text', { x: L, y: H - 8, 'font-size': 11 }, '0'));
    root.append(s('text', { x: W - R, y: H - 8, 'text-anchor': 'end', 'font-size': 11 }, emax + ' evaluations'));
    series.forEach(([k, col], i) => {
      const d = pts.filter((p) => p[k] > 0).map((p) => X(p.eval).toFixed(1) + ',' + Y(Math.log10(p[k])).toFixed(1)).join(' ');
      if (d) root.append(s('polyline', { points: d, fill: 'none', stroke: col, 'stroke-width': 1.6, 'data-series': k }));
      root.append(s('line', { x1: W - R + 10, y1: T + 10 + i * 16, x2: W - R + 28, y2: T + 10 + i * 16, stroke: col, 'stroke-width': 2 }));
      root.append(s('text', { x: W - R + 32, y: T + 14 + i * 16, 'font-size': 11 }, k));
    });
    box.replaceChildren(root);
  }

  // ---- polling ----

  let timer = null, busy = false, again = false;

  // refresh polls the API once and schedules the next poll; a call while
  // one is in flight runs again right after it.
  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    clearTimeout(timer);
    try {
      const list = await getJSON('api/sweeps');
      setConn(true);
      if (!state.sweep && list.length) {
        const m = /^#sweep=(.+)$/.exec(location.hash);
        const want = m ? decodeURIComponent(m[1]) : null;
        state.sweep = list.some((p) => p.sweep === want) ? want : list[0].sweep;
      }
      renderSweeps(list);
      const sweep = state.sweep;
      const entry = list.find((p) => p.sweep === sweep);
      // The diagram changes only with the sweep's progress counts; fetch it
      // when they changed, and every DIAGRAM_MAX_AGE_MS regardless.
      const stamp = entry ? JSON.stringify(entry) : '';
      if (entry && (stamp !== state.diagramStamp || Date.now() - state.diagramAt > DIAGRAM_MAX_AGE_MS)) {
        const d = await getJSON('api/sweeps/' + encodeURIComponent(sweep));
        if (state.sweep === sweep) {
          state.diagramStamp = stamp;
          state.diagramAt = Date.now();
          const text = JSON.stringify(d);
          if (text !== state.diagramText) {
            state.diagramText = text;
            state.diagram = d;
            $('diagram-section').hidden = false;
            const p = d.progress;
            $('diagram-title').textContent = 'Phase diagram: ' + d.sweep + ' (' + p.ended + ' of ' + p.total + ' trials ended)';
            renderDiagram(d);
            renderTrials();
          }
        }
      }
    } catch (e) {
      setConn(false, e.message);
    }
    busy = false;
    if (again) { again = false; refresh(); return; }
    timer = setTimeout(refresh, POLL_MS);
  }

  refresh();
})();
