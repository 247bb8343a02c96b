// wb serve: the pages. Every value from the database reaches the page as text (textContent, text
// nodes, attribute values built from numbers): no markup is ever made from a string, so a sweep
// named <script> shows as those characters. tests/cli_serve.sh fails if this file uses the
// browser's ways of parsing strings as markup or code.
'use strict';

(function () {
  // ---- elements ------------------------------------------------------------------------------

  // h('td', {class: 'num', text: '1.2'}, child, ...): an element; strings become text nodes.
  function h(tag, props) {
    const e = document.createElement(tag);
    if (props) {
      for (const k of Object.keys(props)) {
        const v = props[k];
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k === 'data') for (const d of Object.keys(v)) e.dataset[d] = String(v[d]);
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }

  // add(parent, kid, ...): appends each kid (a node, a string as text, an array of them).
  function add(parent) {
    for (let i = 1; i < arguments.length; i++) {
      const kid = arguments[i];
      if (kid === null || kid === undefined || kid === false) continue;
      if (Array.isArray(kid)) { for (const k of kid) add(parent, k); continue; }
      parent.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
  }

  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function replace(e) { clear(e); for (let i = 1; i < arguments.length; i++) add(e, arguments[i]); }
  function $(id) { return document.getElementById(id); }

  // A link to a page of this server (ids are numbers).
  function link(path, text, cls) { return h('a', { href: path, class: cls, text: text }); }

  // ---- numbers and times -----------------------------------------------------------------------

  // A metric's value as people read it, one format per metric wherever it shows (tables, chart
  // legends, differences): "split.name" or "name". PSNR in dB to 3 decimals, SSIM and shares to 4,
  // seconds to 2, rates whole; the rest to 4 significant digits without trailing zeros, in
  // exponent form below 1e-3 and from 1e5 (0.01112, 0.003, 8.025e-5), 0 as 0.
  function metric(v, name) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    const m = String(name).split('.').pop();
    if (/^psnr/.test(m)) return v.toFixed(3);
    if (m === 'ssim' || m === 'dc_share') return v.toFixed(4);
    if (m === 'seconds') return v.toFixed(2);
    if (m === 'samples_per_s') return v.toFixed(0);
    if (v === 0) return '0';
    const a = Math.abs(v);
    return a < 1e-3 || a >= 1e5 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
  }

  // A configuration value as people write it: numbers in their shortest form (0.1, not
  // 0.10000000000000001, which is how the database keeps them exactly).
  function pretty(v) {
    if (v === null || v === undefined) return '–';
    const n = Number(v);
    return /^-?[0-9.]+(e[-+]?[0-9]+)?$/i.test(v) && isFinite(n) ? String(n) : v;
  }

  function duration(s) {
    if (s === null || s === undefined || !isFinite(s) || s < 0) return '–';
    if (s < 10) return s.toFixed(1) + ' s';
    s = Math.round(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }

  // The server's clock, from the Date header of its answers: heartbeat ages are differences of
  // its times, whatever the clock of the machine the browser runs on says.
  let skew = 0;
  function serverNow() { return Date.now() + skew; }
  function age(iso) {
    if (!iso) return null;
    const t = Date.parse(iso);
    return isFinite(t) ? Math.max(0, (serverNow() - t) / 1000) : null;
  }
  function when(iso) {
    if (!iso) return '–';
    const t = new Date(iso);
    return isFinite(t) ? t.toLocaleString() : iso;
  }

  // "4 s ago", "2 min 5 s ago".
  function ago(iso) {
    const s = age(iso);
    return s === null ? '–' : s < 60 ? Math.floor(s) + ' s ago' : duration(s) + ' ago';
  }

  // Cells that show an age refresh themselves every second.
  function ageCell(iso, cls) {
    return h('td', { class: cls || 'num age', data: iso ? { since: iso } : undefined, text: ago(iso) });
  }
  setInterval(function () {
    for (const e of document.querySelectorAll('[data-since]')) e.textContent = ago(e.dataset.since);
  }, 1000);

  // A word the shell reads back as itself (for commands shown to be copied).
  function shellWord(s) {
    return /^[A-Za-z0-9_.,:=+\/-]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  }

  function statusChip(status) {
    return h('span', { class: 'chip st-' + status, text: status });
  }

  function progressBar(done, total) {
    const p = h('progress', { max: Math.max(1, total || 0), value: Math.max(0, done || 0) });
    return p;
  }

  // ---- the server ------------------------------------------------------------------------------

  // GET a JSON route. With the ETag of what we have, an unchanged answer comes back as 304:
  // {changed: false}. Otherwise {changed: true, status, etag, body}.
  async function getJSON(url, etag) {
    const headers = {};
    if (etag) headers['If-None-Match'] = etag;
    const r = await fetch(url, { cache: 'no-store', credentials: 'same-origin', headers: headers });
    const date = Date.parse(r.headers.get('Date') || '');
    if (isFinite(date)) skew = date - Date.now();
    if (r.status === 304) return { changed: false, status: 304 };
    let body = null;
    try { body = await r.json(); } catch (e) { body = null; }
    return { changed: true, status: r.status, etag: r.headers.get('ETag'), body: body };
  }

  // ---- charts ----------------------------------------------------------------------------------

  // A colour per distinct λ, as in wb report: λ = 0 black (dashed); the others the report's
  // colour-blind-safe palette in λ order (the server sends it), or along viridis when there are
  // more λ than it has colours.
  const VIRIDIS = [[0x44, 0x01, 0x54], [0x3b, 0x52, 0x8b], [0x21, 0x91, 0x8c], [0x5e, 0xc9, 0x62],
    [0xfd, 0xe7, 0x25]];
  function lambdaColour(lambdas, lambda, palette) {
    if (lambda === 0) return '#000000';
    const rank = lambdas.filter(function (l) { return l < lambda; }).length;
    if (palette && lambdas.length <= palette.length) return palette[rank];
    const t = lambdas.length > 1 ? 0.85 * rank / (lambdas.length - 1) : 0.45;
    const pos = t * 4, k = Math.min(3, Math.floor(pos)), f = pos - k;
    const c = VIRIDIS[k].map(function (x, i) { return Math.round(x + f * (VIRIDIS[k + 1][i] - x)); });
    return '#' + c.map(function (x) { return x.toString(16).padStart(2, '0'); }).join('');
  }

  function fade(hex, alpha) {
    const n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  // A line chart in `box`: xs (epochs) and lines [{label, values, colour, dash, width, right}]
  // against axis y = {label, metric} (the metric names the number format), and the lines marked
  // `right` against axis y2 on the right, a scale of their own. Reuses the chart already there
  // when its lines are the same (keeps the zoom), else draws a new one.
  function lineChart(box, title, y, xs, lines, y2) {
    if (typeof uPlot === 'undefined') { replace(box, h('p', { class: 'muted', text: 'charts unavailable' })); return; }
    const key = title + '|' + xs[0] + '|' + lines.map(function (l) { return l.label + l.colour + (l.dash || ''); }).join('|');
    const data = [xs].concat(lines.map(function (l) {
      return xs.map(function (x) { const v = l.values[x]; return v === undefined || v === null || !isFinite(v) ? null : v; });
    }));
    const width = Math.max(320, box.clientWidth || 600);
    if (box.uplot && box.chartKey === key && box.chartWidth === width) { box.uplot.setData(data); return; }
    if (box.uplot) box.uplot.destroy();
    clear(box);
    const opts = {
      title: title,
      width: width,
      height: 300,
      scales: { x: { time: false } },
      // Epochs are whole numbers: ticks at 1, 2, 5, 10, ... epochs apart.
      axes: [{ label: 'epoch', stroke: '#444', grid: { stroke: '#eee' },
        incrs: [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000] },
        { label: y.label, stroke: '#444', grid: { stroke: '#eee' }, size: 70 }].concat(y2 ? [
        { scale: 'y2', side: 1, label: y2.label, stroke: '#444', grid: { show: false }, size: 70 }] : []),
      series: [{ label: 'epoch' }].concat(lines.map(function (l) {
        const axis = l.right && y2 ? y2 : y;
        // A series read at a few epochs only (the test split: its last and best epochs) shows
        // its points, which no line joins.
        const sparse = xs.filter(function (x) { const v = l.values[x]; return v !== null && v !== undefined; }).length < xs.length / 2;
        return { label: l.label, stroke: l.colour, width: l.width || 2, dash: l.dash,
          scale: l.right && y2 ? 'y2' : 'y',
          points: { show: xs.length <= 40 || sparse, size: sparse ? 7 : 4 }, spanGaps: false,
          value: function (u, v) { return v === null ? '–' : metric(v, axis.metric); } };
      })),
      legend: { live: true },
    };
    box.uplot = new uPlot(opts, data, box);
    // Lines marked quiet (each seed's, under the means) stay out of the legend.
    const rows = box.querySelectorAll('.u-legend .u-series');
    lines.forEach(function (l, i) { if (l.quiet && rows[i + 1]) rows[i + 1].classList.add('quiet'); });
    box.chartKey = key;
    box.chartWidth = width;
  }

  // The epochs a chart shows, of n (0 .. n-1). Epoch 0 is the untrained network (with
  // model.residual, the input itself): far below the rest, it would squeeze every curve into a
  // line, so it is left out unless asked for (the toggle; a run with no epoch after 0 shows it).
  function epochRange(n) {
    const xs = [];
    for (let i = app.showEpoch0 || n <= 1 ? 0 : 1; i < n; i++) xs.push(i);
    return xs;
  }

  // The toggle for epoch 0, the same preference on every page; redraw() draws the charts again.
  function epochZeroToggle(redraw) {
    const box = h('input', { type: 'checkbox', class: 'epoch0', onchange: function () {
      app.showEpoch0 = box.checked;
      redraw();
    } });
    box.checked = app.showEpoch0;
    return h('label', { title: 'epoch 0 is the untrained network; a residual one scores the input itself' },
      box, ' epoch 0');
  }

  // ---- the crumbs, the live dot, the polling ---------------------------------------------------

  const app = { stateTag: null, state: null, page: null, timer: null, failures: 0, showEpoch0: false };

  function crumbs(items) {
    const nav = $('crumbs');
    clear(nav);
    items.forEach(function (it, i) {
      if (i) add(nav, h('span', { class: 'sep', text: '/' }));
      add(nav, it.href ? link(it.href, it.text) : h('span', { text: it.text }));
    });
  }

  function setLive() {
    const s = app.state, live = $('live');
    if (app.failures) { replace(live, h('span', { class: 'dot off' }), 'server unreachable, retrying'); return; }
    if (!s) return;
    if (s.error) { replace(live, h('span', { class: 'dot off' }), 'waiting for the database'); return; }
    if (s.running > 0) replace(live, h('span', { class: 'dot on' }), s.running + ' running · updates every 2 s');
    else replace(live, h('span', { class: 'dot idle' }), 'idle · checks every 30 s');
  }

  async function poll() {
    clearTimeout(app.timer);
    try {
      const r = await getJSON('/api/state', app.stateTag);
      app.failures = 0;
      if (r.changed && r.body) {
        app.stateTag = r.etag;
        app.state = r.body;
        $('dbpath').textContent = r.body.database || '';
        if (app.page && app.page.state) await app.page.state(r.body);
      }
    } catch (e) {
      app.failures++;
    }
    setLive();
    const busy = app.failures || (app.state && (app.state.running > 0 || app.state.error));
    app.timer = setTimeout(poll, document.hidden ? 30000 : busy ? 2000 : 30000);
  }
  document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });

  // A section with a heading.
  function section(title, id) {
    const body = h('div', { class: 'section-body', id: id });
    return { el: h('section', null, h('h2', { text: title }), body), body: body };
  }

  function problem(main, status, body, what) {
    const why = body && body.error ? body.error : 'the server answered ' + status;
    replace(main, h('div', { class: 'error-box' }, h('strong', { text: what + ': ' }), why));
  }

  // ---- the sweeps ------------------------------------------------------------------------------

  function indexPage(main) {
    document.title = 'wb · sweeps';
    crumbs([{ text: 'sweeps' }]);
    const list = h('div', { id: 'sweeps' });
    replace(main, h('h1', { text: 'Sweeps' }), list);
    return {
      state: function (s) {
        if (s.error) {
          replace(list, h('div', { class: 'notice' }, h('p', { text: s.error }),
            h('p', null, 'Start one with ', h('code', { text: 'wb sweep FILE.ini --db ' + shellWord(s.database) }),
              '; it appears here by itself.')));
          return;
        }
        if (!s.sweeps.length) {
          replace(list, h('p', { class: 'muted', text: 'No sweeps in ' + s.database + ' yet.' }));
          return;
        }
        const rows = s.sweeps.map(function (w) {
          return h('tr', { data: { sweep: w.id, running: w.running } },
            h('td', null, link('/sweep/' + Number(w.id), w.name, 'name')),
            h('td', null, Object.keys(w.status).map(function (st) {
              return h('span', { class: 'count' }, statusChip(st), ' ' + w.status[st]);
            })),
            h('td', { class: 'progress-cell' }, progressBar(w.epochs_done, w.epochs_total),
              h('span', { class: 'small', text: ' ' + w.epochs_done + ' / ' + w.epochs_total + ' epochs' })),
            h('td', { class: 'num', text: w.runs }),
            h('td', { text: (w.axes || '').split(',').filter(Boolean).join(', ') || '–' }),
            ageCell(w.heartbeat_at),
            h('td', { text: when(w.written_at) }));
        });
        replace(list, h('table', { class: 'grid' },
          h('thead', null, h('tr', null, ['sweep', 'runs by status', 'progress', 'runs', 'axes',
            'last heartbeat', 'last epoch written'].map(function (t) { return h('th', { text: t }); }))),
          h('tbody', null, rows)));
      },
    };
  }

  // ---- one sweep -------------------------------------------------------------------------------

  // The metrics of a split, from the series the server lists (the metric table's), in its order.
  function splitMetrics(series, split) {
    return series.filter(function (s) { return s.name.indexOf(split + '.') === 0; })
      .map(function (s) { return s.name.slice(split.length + 1); })
      .filter(function (m) { return m !== 'seconds' && m !== 'samples_per_s' && m !== 'lr'; });
  }

  function select(options, value, onchange, id) {
    const s = h('select', { id: id, onchange: function () { onchange(s.value); } },
      options.map(function (o) { return h('option', { value: o.value, text: o.text }); }));
    s.value = value;
    return s;
  }

  function sweepPage(main, id) {
    const ui = { split: 'val', metric: 'psnr_pooled', panel: 'all', seeds: false,
      table: 'test.psnr_pooled', at: 'last', selected: [] };
    let data = null, tag = null;
    const head = h('div', { id: 'sweep-head' });
    const curves = section('Learning curves', 'curves');
    const runs = section('Runs', 'runs');
    const key = section('Key table', 'key');
    const budget = section('Over the training budget', 'budget');
    const about = section('Configuration', 'about');
    const controls = h('div', { class: 'controls' });
    const charts = h('div', { class: 'charts', id: 'charts' });
    add(curves.body, controls, charts);
    replace(main, head, budget.el, curves.el, runs.el, key.el, about.el);
    crumbs([{ text: 'sweeps', href: '/' }, { text: 'sweep ' + id }]);

    async function load(force) {
      const url = '/api/sweep/' + id + '?metric=' + encodeURIComponent(ui.table) + '&at=' + ui.at;
      const r = await getJSON(url, force ? null : tag);
      if (!r.changed) return;
      if (r.status !== 200 || !r.body) { problem(main, r.status, r.body, 'sweep ' + id); return; }
      tag = r.etag;
      data = r.body;
      render();
    }

    function seriesIndex(name) {
      return data.series.findIndex(function (s) { return s.name === name; });
    }

    function renderHead() {
      const w = data.sweep;
      document.title = 'wb · ' + w.name;
      crumbs([{ text: 'sweeps', href: '/' }, { text: w.name }]);
      const status = Object.keys(data.status).map(function (st) {
        return h('span', { class: 'count' }, statusChip(st), ' ' + data.status[st]);
      });
      const report = data.report
        ? link('/sweep/' + Number(w.id) + '/report/', 'report', 'button')
        : h('span', { class: 'muted small' }, 'no report yet: ', h('code', { id: 'report-command', text: data.report_command || '' }));
      replace(head,
        h('h1', { id: 'sweep-name', text: w.name }),
        h('div', { class: 'meta' },
          h('span', null, 'axes: ', h('b', { text: (w.axes || '').split(',').filter(Boolean).join(', ') || 'none' })),
          h('span', { text: 'created ' + when(w.created_at) }),
          data.written_at ? h('span', { id: 'sweep-written', text: 'last epoch written ' + when(data.written_at) }) : null,
          w.host ? h('span', { text: 'on ' + w.host }) : null,
          w.wb_version ? h('span', { text: 'wb ' + w.wb_version }) : null,
          w.git_commit ? h('span', { text: 'commit ' + w.git_commit.slice(0, 12) + (w.git_dirty ? ' (dirty)' : '') }) : null,
          report),
        h('div', { class: 'summary' },
          h('div', { class: 'big-progress' }, progressBar(data.epochs_done, data.epochs_total),
            h('span', { id: 'sweep-epochs', text: data.epochs_done + ' / ' + data.epochs_total + ' epochs' })),
          h('div', { class: 'counts' }, status),
          data.running ? h('div', { text: 'ETA ' + duration(data.eta_seconds) + ' (' +
            duration(data.epoch_seconds) + ' an epoch, ' + data.running + ' running)' }) : null));
    }

    function renderControls() {
      const splits = [{ value: 'val', text: 'validation' }, { value: 'test', text: 'test' }, { value: 'train', text: 'train' }];
      const names = splitMetrics(data.series, ui.split);
      if (names.indexOf(ui.metric) < 0) ui.metric = names[0];
      const metrics = names.map(function (m) {
        const si = seriesIndex(ui.split + '.' + m);
        return { value: m, text: si >= 0 ? data.series[si].title.replace(/^(validation|test|train) /, '') : m };
      });
      const panels = [{ value: 'all', text: data.panels.length > 1 ? 'all, side by side' : 'all' }].concat(
        data.panels.length > 1 ? data.panels.map(function (p, i) { return { value: String(i), text: p.label || 'all' }; }) : []);
      if (ui.panel !== 'all' && !data.panels[Number(ui.panel)]) ui.panel = 'all';
      const seeds = h('input', { type: 'checkbox', id: 'seeds', onchange: function () { ui.seeds = seeds.checked; renderCharts(); } });
      seeds.checked = ui.seeds;
      replace(controls,
        h('label', null, 'split ', select(splits, ui.split, function (v) { ui.split = v; renderControls(); renderCharts(); }, 'split')),
        h('label', null, 'metric ', select(metrics, ui.metric, function (v) { ui.metric = v; renderCharts(); }, 'metric')),
        h('label', null, 'kernel ', select(panels, ui.panel, function (v) { ui.panel = v; renderCharts(); }, 'panel')),
        h('label', null, seeds, ' each seed'),
        epochZeroToggle(renderCharts),
        h('span', { class: 'muted small', text: 'lines: the mean over the seeds that run or ran, up to the epoch all of them reached; black dashed: the λ = 0 baseline' }));
    }

    function renderCharts() {
      const name = ui.split + '.' + ui.metric;
      const si = seriesIndex(name);
      if (si < 0) { replace(charts, h('p', { class: 'muted', text: 'no ' + name + ' in this sweep' })); return; }
      const s = data.series[si];
      const lambdas = [];
      for (const c of data.configs) if (c.lambda !== 0 && lambdas.indexOf(c.lambda) < 0) lambdas.push(c.lambda);
      lambdas.sort(function (a, b) { return a - b; });
      let nep = 1;
      for (const r of data.runs) nep = Math.max(nep, r.values[si].length);
      const xs = epochRange(nep);
      const panels = ui.panel === 'all' ? data.panels.map(function (p, i) { return i; }) : [Number(ui.panel)];
      // One box per panel shown, kept between updates so that the charts keep their zoom.
      if (charts.dataset.panels !== panels.join(',')) {
        for (const b of charts.querySelectorAll('.chart')) if (b.uplot) b.uplot.destroy();
        clear(charts);
        charts.dataset.panels = panels.join(',');
        for (const p of panels) add(charts, h('div', { class: 'chart', data: { panel: p } }));
      }
      charts.classList.toggle('two', panels.length > 1);
      const boxes = charts.querySelectorAll('.chart');
      panels.forEach(function (p, k) {
        const panel = data.panels[p];
        const lines = [];
        for (const ci of panel.configs) {
          const c = data.configs[ci];
          const colour = lambdaColour(lambdas, c.lambda, data.lambda_palette);
          if (ui.seeds) {
            for (const ri of c.runs) {
              const r = data.runs[ri];
              lines.push({ label: c.label + ', seed ' + r.seed, values: r.values[si], colour: fade(colour, 0.35), width: 1, dash: c.is_baseline ? [6, 4] : undefined, quiet: true });
            }
          }
          lines.push({ label: c.label + ' (' + c.mean_n + (c.mean_n === 1 ? ' seed)' : ' seeds)'), values: c.mean[si], colour: colour,
            width: c.is_baseline ? 2 : 2.5, dash: c.is_baseline ? [6, 4] : undefined });
        }
        const title = s.title + (panel.label ? ', ' + panel.label : '');
        lineChart(boxes[k], title, { label: s.unit ? s.title + ' (' + s.unit + ')' : s.title, metric: s.name }, xs, lines);
      });
    }

    function latest(r, name) {
      const si = seriesIndex(name);
      if (si < 0) return null;
      const v = r.values[si];
      for (let e = Math.min(v.length - 1, Math.max(0, r.epochs_done)); e >= 0; e--) if (v[e] !== null) return v[e];
      return null;
    }

    function renderRuns() {
      const body = clear(runs.body);
      const compare = h('div', { class: 'controls' });
      function updateCompare() {
        clear(compare);
        const n = ui.selected.length;
        if (n === 2) add(compare, link('/compare/' + Number(ui.selected[0]) + '/' + Number(ui.selected[1]), 'compare runs ' + ui.selected[0] + ' and ' + ui.selected[1], 'button'));
        else add(compare, h('span', { class: 'muted small', text: 'tick two runs to compare them side by side' }));
      }
      const head = ['', 'run', 'configuration', 'seed', 'status', 'epoch', 'train loss', 'validation PSNR', 'test PSNR', 'validation SSIM', 'ETA', 'heartbeat', 'error'];
      const rows = data.runs.map(function (r) {
        const c = data.configs[r.config];
        const box = h('input', { type: 'checkbox', onchange: function () {
          const i = ui.selected.indexOf(r.id);
          if (box.checked && i < 0) ui.selected.push(r.id);
          if (!box.checked && i >= 0) ui.selected.splice(i, 1);
          while (ui.selected.length > 2) ui.selected.shift();
          for (const b of runs.body.querySelectorAll('input[data-run]')) b.checked = ui.selected.indexOf(Number(b.dataset.run)) >= 0;
          updateCompare();
        } });
        box.dataset.run = r.id;
        box.checked = ui.selected.indexOf(r.id) >= 0;
        const done = Math.max(0, r.epochs_done);
        return h('tr', { class: 'st-row-' + r.status, data: { run: r.id, status: r.status, epochsDone: r.epochs_done } },
          h('td', null, box),
          h('td', null, link('/run/' + Number(r.id), String(r.id))),
          h('td', { text: c ? c.label : '' }),
          h('td', { class: 'num', text: r.seed }),
          h('td', null, statusChip(r.status)),
          h('td', { class: 'progress-cell' }, progressBar(done, r.epochs), h('span', { class: 'small epochs', text: ' ' + done + '/' + r.epochs })),
          h('td', { class: 'num', text: metric(latest(r, 'train.loss'), 'loss') }),
          h('td', { class: 'num', text: metric(latest(r, 'val.psnr_pooled'), 'psnr') }),
          h('td', { class: 'num', text: metric(latest(r, 'test.psnr_pooled'), 'psnr') }),
          h('td', { class: 'num', text: metric(latest(r, 'val.ssim'), 'ssim') }),
          h('td', { class: 'num', text: r.status === 'running' ? duration(r.eta_seconds) : '–' }),
          r.status === 'running' ? ageCell(r.heartbeat_at) : h('td', { class: 'num muted', text: '–' }),
          h('td', { class: 'error-text', text: r.error || '' }));
      });
      add(body, h('div', { class: 'scroll' }, h('table', { class: 'grid', id: 'runs-table' },
        h('thead', null, h('tr', null, head.map(function (t) { return h('th', { text: t }); }))),
        h('tbody', null, rows))), compare);
      updateCompare();
    }

    function renderKeyTable() {
      const t = data.keytable;
      const metricOptions = data.series.filter(function (s) { return s.compared; })
        .map(function (s) { return { value: s.name, text: s.title }; });
      const atOptions = [{ value: 'last', text: 'last epoch' }, { value: 'best', text: 'best epoch (val MSE)' }];
      const numeric = {};
      t.headers.forEach(function (hd, i) { numeric[i] = ['n', 'mean', 'sd', 'diff', 'pairs', 'p', 'p Holm'].indexOf(hd) >= 0; });
      const verdictCol = t.headers.indexOf('verdict');
      const rows = t.rows.map(function (row, ri) {
        return h('tr', { class: ri === t.best_row ? 'best' : null, data: { config: ri } }, row.map(function (cell, i) {
          const cls = [numeric[i] ? 'num' : '', i === verdictCol ? 'verdict v-' + cell.replace(/[^a-z]+/g, '-') : ''].join(' ').trim();
          return h('td', { class: cls || null, text: cell });
        }));
      });
      replace(key.body,
        h('div', { class: 'controls' },
          h('label', null, 'metric ', select(metricOptions, t.metric, function (v) { ui.table = v; load(true); }, 'key-metric')),
          h('label', null, 'at ', select(atOptions, t.at, function (v) { ui.at = v; load(true); }, 'key-at')),
          h('span', { class: 'muted small', text: 'the same table as ' }), h('code', { id: 'compare-command', text: t.command || '' })),
        h('div', { class: 'scroll' }, h('table', { class: 'grid keytable', id: 'keytable' },
          h('thead', null, h('tr', null, t.headers.map(function (x) { return h('th', { text: x }); }))),
          h('tbody', null, rows))),
        h('ul', { class: 'notes' }, t.notes.map(function (n) { return h('li', { text: n }); })));
    }

    // A sweep of budgets: how each configuration's effect moves with the budget, first.
    function renderBudget() {
      const b = data.budget;
      budget.el.hidden = !b;
      if (!b) return;
      const verdictCol = b.headers.indexOf('verdict');
      const numeric = ['epochs', 'pairs', 'Δ'];
      replace(budget.body,
        h('p', { class: 'answer', id: 'budget-brief', text: b.brief }),
        h('p', { class: 'small', id: 'budget-answer', text: b.answer }),
        h('div', { class: 'scroll' }, h('table', { class: 'grid keytable', id: 'budget-table' },
          h('thead', null, h('tr', null, b.headers.map(function (x) { return h('th', { text: x }); }))),
          h('tbody', null, b.rows.map(function (row) {
            return h('tr', null, row.map(function (cell, i) {
              const cls = [numeric.indexOf(b.headers[i]) >= 0 ? 'num' : '',
                i === verdictCol ? 'verdict v-' + cell.replace(/[^a-z]+/g, '-') : ''].join(' ').trim();
              return h('td', { class: cls || null, text: cell });
            }));
          })))),
        h('ul', { class: 'notes' }, b.sentences.map(function (n) { return h('li', { text: n }); })));
    }

    function renderAbout() {
      const w = data.sweep;
      replace(about.body,
        h('p', { class: 'small' }, 'INI file: ', h('code', { text: w.ini_path || '(not recorded)' })),
        w.ini_text ? h('details', null, h('summary', { text: 'the INI file as the sweep read it' }), h('pre', { text: w.ini_text })) : null);
    }

    function render() {
      renderHead();
      renderControls();
      renderCharts();
      renderRuns();
      renderKeyTable();
      renderBudget();
      renderAbout();
    }

    let resizeTimer = null;
    window.addEventListener('resize', function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { if (data) renderCharts(); }, 200);
    });
    return { state: function () { return load(false); } };
  }

  // ---- one run ---------------------------------------------------------------------------------

  function fieldsTable(rows) {
    return h('table', { class: 'fields' }, h('tbody', null, rows.filter(function (r) { return r; }).map(function (r) {
      return h('tr', null, h('th', { text: r[0] }), h('td', null, r[1]));
    })));
  }

  function runFields(d) {
    const r = d.run;
    const known = function (v) { return v === null || v === undefined ? '–' : String(v); };
    return fieldsTable([
      ['status', statusChip(r.status)],
      ['epochs', (Math.max(0, r.epochs_done)) + ' of ' + known(r.epochs)],
      r.status === 'running' ? ['ETA', duration(d.eta_seconds)] : null,
      ['seed', known(r.seed)],
      ['config hash', h('code', { text: r.config_hash })],
      ['sweeps', d.sweeps.map(function (w, i) {
        return [i ? ', ' : '', w.id !== null ? link('/sweep/' + Number(w.id), w.name) : w.name, ' (#' + w.grid_index + ')'];
      })],
      ['created', when(r.created_at)], ['started', when(r.started_at)], ['finished', when(r.finished_at)],
      ['heartbeat', !r.heartbeat_at ? '–' : r.status === 'running'
        ? h('span', { data: { since: r.heartbeat_at }, text: ago(r.heartbeat_at) }) : when(r.heartbeat_at)],
      ['host', known(r.host)], ['pid', known(r.pid)], ['threads', known(r.threads)],
      ['compute', known(r.gemm_library)], ['compiler', known(r.compiler)], ['wb version', known(r.wb_version)],
      ['parameters', known(r.param_count)],
      ['data', known(r.data_source) + (r.train_n !== null ? ' (' + r.train_n + ' / ' + r.val_n + ' / ' + r.test_n + ' patches)' : '')],
      ['folder', h('code', { text: known(r.folder) })],
    ]);
  }

  // The epochs of a run as {columns, rows} into per-column arrays by epoch.
  function columnsOf(epochs) {
    const out = {};
    let n = 0;
    for (const row of epochs.rows) n = Math.max(n, row[0] + 1);
    epochs.columns.forEach(function (c, i) {
      const v = new Array(n).fill(null);
      for (const row of epochs.rows) v[row[0]] = row[i + 1];
      out[c] = v;
    });
    return { values: out, n: n };
  }

  // "validation PSNR (dB)" for the column "val.psnr_pooled" of a run's epochs.
  function columnTitle(epochs, c) {
    const i = epochs.columns.indexOf(c), t = epochs.titles && epochs.titles[i];
    return t ? t.title + (t.unit ? ' (' + t.unit + ')' : '') : c;
  }

  function epochsTable(epochs) {
    const cols = epochs.columns;
    return h('div', { class: 'scroll' }, h('table', { class: 'grid epochs', id: 'epochs-table' },
      h('thead', null, h('tr', null, h('th', { text: 'epoch' }), cols.map(function (c) { return h('th', { text: columnTitle(epochs, c), title: c }); }))),
      h('tbody', null, epochs.rows.map(function (row) {
        return h('tr', null, h('td', { class: 'num', text: row[0] }), cols.map(function (c, i) {
          return h('td', { class: 'num', text: metric(row[i + 1], c) });
        }));
      }))));
  }

  // "λ = 0.1, kernel = 4, seed 1" from a run's configuration.
  function runLabel(d) {
    const p = {};
    for (const kv of d.params) p[kv[0]] = kv[1];
    const lambda = Number(p['loss.laplacian_weight'] || 0);
    return 'λ = ' + pretty(p['loss.laplacian_weight'] || '0') +
      (lambda > 0 && p['loss.kernel'] ? ', kernel = ' + p['loss.kernel'] : '') + ', seed ' + d.run.seed;
  }

  function runPage(main, id) {
    let tag = null;
    crumbs([{ text: 'sweeps', href: '/' }, { text: 'run ' + id }]);
    const head = h('div');
    const controls = h('div', { class: 'controls' });
    const charts = h('div', { class: 'charts two' });
    const body = h('div');
    let d = null;
    replace(main, head, section('Curves', 'run-curves').el, body);
    main.querySelector('#run-curves').appendChild(controls);
    main.querySelector('#run-curves').appendChild(charts);

    // PSNR; the training loss; and, with a Laplacian term, its two parts, each on a scale of its
    // own (the Laplacian part, unweighted, can be orders of magnitude from the pixel part).
    function drawCharts() {
      const c = columnsOf(d.epochs), xs = epochRange(Math.max(1, c.n));
      const line = function (name, colour, right) {
        return { label: columnTitle(d.epochs, name), values: c.values[name], colour: colour, right: right };
      };
      const psnr = [['val.psnr_pooled', '#0072b2'], ['test.psnr_pooled', '#d55e00']]
        .filter(function (p) { return c.values[p[0]]; }).map(function (p) { return line(p[0], p[1]); });
      const parts = c.values['train.loss_lap'] !== undefined;
      const want = parts ? 3 : 2;
      if (charts.children.length !== want) {
        for (const b of charts.querySelectorAll('.chart')) if (b.uplot) b.uplot.destroy();
        clear(charts);
        for (let i = 0; i < want; i++) add(charts, h('div', { class: 'chart' }));
      }
      const boxes = charts.querySelectorAll('.chart');
      lineChart(boxes[0], 'PSNR', { label: 'PSNR (dB)', metric: 'psnr_pooled' }, xs, psnr);
      lineChart(boxes[1], 'training loss', { label: 'loss', metric: 'loss' }, xs,
        c.values['train.loss'] ? [line('train.loss', '#000000')] : []);
      if (parts)
        lineChart(boxes[2], 'training loss: its parts, each on its own scale',
          { label: 'pixel part (left)', metric: 'loss_pixel' }, xs,
          [line('train.loss_pixel', '#009e73'), line('train.loss_lap', '#cc79a7', true)],
          { label: 'Laplacian part, unweighted (right)', metric: 'loss_lap' });
    }
    replace(controls, epochZeroToggle(function () { if (d) drawCharts(); }));

    async function load() {
      const r = await getJSON('/api/run/' + id, tag);
      if (!r.changed) return;
      if (r.status !== 200 || !r.body) { problem(main, r.status, r.body, 'run ' + id); return; }
      tag = r.etag;
      d = r.body;
      const run = d.run;
      const sweep = d.sweeps[0];
      document.title = 'wb · run ' + run.id;
      crumbs([{ text: 'sweeps', href: '/' }].concat(sweep && sweep.id !== null ? [{ text: sweep.name, href: '/sweep/' + Number(sweep.id) }] : [])
        .concat([{ text: 'run ' + run.id }]));
      replace(head, h('h1', null, 'Run ' + run.id + ' ', statusChip(run.status)),
        h('div', { class: 'meta' }, h('b', { text: runLabel(d) }), d.sweeps.length ? h('span', { text: 'in ' + d.sweeps.map(function (w) { return w.name; }).join(', ') }) : null),
        run.error ? h('div', { class: 'error-box', id: 'run-error', text: run.error }) : null);
      drawCharts();
      const cfg = section('Configuration', 'config'), env = section('Run', 'fields');
      add(cfg.body, fieldsTable(d.params.map(function (p) { return [p[0], pretty(p[1])]; })));
      add(env.body, runFields(d));
      const ck = section('Checkpoints', 'checkpoints');
      add(ck.body, d.checkpoints.length ? fieldsTable(d.checkpoints.map(function (k) {
        return [k.kind, ['epoch ' + k.epoch + ' ', h('code', { text: k.path })]];
      })) : h('p', { class: 'muted', text: 'none yet' }));
      const prev = section('Preview', 'preview');
      if (d.preview) {
        add(prev.body, h('p', { class: 'small muted', text: 'Test patches, in bands of three rows: the input, the target, ' +
          'and the prediction of the best epoch by validation MSE.' }),
          h('img', { src: '/api/run/' + Number(run.id) + '/preview.png?v=' + encodeURIComponent(tag || ''), alt: 'preview of run ' + run.id, class: 'preview' }));
      } else {
        add(prev.body, h('p', { class: 'muted', text: 'no preview yet (written after the first epoch)' }));
      }
      const ep = section('Every epoch', 'epochs');
      add(ep.body, epochsTable(d.epochs));
      replace(body, h('div', { class: 'two-col' }, env.el, cfg.el), ck.el, prev.el, ep.el);
    }
    return { state: function () { return load(); } };
  }

  // ---- two runs ------------------------------------------------------------------------------------

  function comparePage(main, a, b) {
    // The sweep page's default: validation PSNR.
    let tag = null, metricName = 'val.psnr_pooled';
    crumbs([{ text: 'sweeps', href: '/' }, { text: 'run ' + a + ' vs run ' + b }]);
    document.title = 'wb · run ' + a + ' vs run ' + b;
    const head = h('div'), controls = h('div', { class: 'controls' });
    const chart = h('div', { class: 'chart' }), body = h('div');
    const curves = section('Curves', 'compare-curves');
    add(curves.body, controls, chart);
    replace(main, head, curves.el, body);
    let data = null;

    function title(c) {
      return data.a.epochs.columns.indexOf(c) >= 0 ? columnTitle(data.a.epochs, c) : columnTitle(data.b.epochs, c);
    }

    function drawChart() {
      const ca = columnsOf(data.a.epochs), cb = columnsOf(data.b.epochs);
      const xs = epochRange(Math.max(1, ca.n, cb.n));
      lineChart(chart, title(metricName), { label: title(metricName), metric: metricName }, xs, [
        { label: 'run ' + data.a.run.id, values: ca.values[metricName] || [], colour: '#0072b2' },
        { label: 'run ' + data.b.run.id, values: cb.values[metricName] || [], colour: '#d55e00', dash: [6, 4] }]);
    }

    async function load() {
      const r = await getJSON('/api/compare/' + a + '/' + b, tag);
      if (!r.changed) return;
      if (r.status !== 200 || !r.body) { problem(main, r.status, r.body, 'runs ' + a + ' and ' + b); return; }
      tag = r.etag;
      data = r.body;
      replace(head, h('h1', null, link('/run/' + Number(a), 'Run ' + a), ' ', statusChip(data.a.run.status), ' vs ',
        link('/run/' + Number(b), 'run ' + b), ' ', statusChip(data.b.run.status)),
      h('div', { class: 'meta' }, h('span', { text: 'run ' + a + ': ' + runLabel(data.a) }), h('span', { text: 'run ' + b + ': ' + runLabel(data.b) })));
      // The runs' own metrics: the input splits (val_input, test_input) score the degraded images,
      // the same for both runs of one data configuration.
      const cols = [];
      for (const c of data.a.epochs.columns.concat(data.b.epochs.columns))
        if (cols.indexOf(c) < 0 && !/^[a-z]+_input\./.test(c)) cols.push(c);
      if (cols.indexOf(metricName) < 0 && cols.length) metricName = cols[0];
      replace(controls, h('label', null, 'metric ', select(cols.map(function (c) { return { value: c, text: title(c) }; }), metricName,
        function (v) { metricName = v; drawChart(); }, 'compare-metric')), epochZeroToggle(drawChart),
      h('span', { class: 'muted small', text: 'solid: run ' + a + ', dashed: run ' + b }));
      drawChart();
      const diff = section('Configuration: what differs', 'diff');
      add(diff.body, data.diff.length ? h('table', { class: 'grid', id: 'diff-table' },
        h('thead', null, h('tr', null, h('th', { text: 'key' }), h('th', { text: 'run ' + a }), h('th', { text: 'run ' + b }))),
        h('tbody', null, data.diff.map(function (d) {
          return h('tr', null, h('td', { text: d.key }), h('td', { text: d.in_a ? pretty(d.a) : '(absent)' }),
            h('td', { text: d.in_b ? pretty(d.b) : '(absent)' }));
        }))) : h('p', { class: 'muted', text: 'the same configuration' }));
      const last = section('Latest values', 'latest');
      const ca = columnsOf(data.a.epochs), cb = columnsOf(data.b.epochs);
      const lastOf = function (v) { if (!v) return null; for (let i = v.length - 1; i >= 0; i--) if (v[i] !== null) return v[i]; return null; };
      add(last.body, h('table', { class: 'grid' },
        h('thead', null, h('tr', null, ['metric', 'run ' + a, 'run ' + b, 'run ' + b + ' − run ' + a].map(function (t) { return h('th', { text: t }); }))),
        h('tbody', null, cols.filter(function (c) { return !/seconds|samples_per_s/.test(c); }).map(function (c) {
          const va = lastOf(ca.values[c]), vb = lastOf(cb.values[c]);
          return h('tr', { data: { metric: c } }, h('td', { text: title(c), title: c }), h('td', { class: 'num', text: metric(va, c) }),
            h('td', { class: 'num', text: metric(vb, c) }),
            h('td', { class: 'num', text: va !== null && vb !== null ? metric(vb - va, c) : '–' }));
        }))));
      const fa = section('Run ' + a, 'fields-a'), fb = section('Run ' + b, 'fields-b');
      add(fa.body, runFields(data.a));
      add(fb.body, runFields(data.b));
      replace(body, h('div', { class: 'two-col' }, diff.el, last.el), h('div', { class: 'two-col' }, fa.el, fb.el));
    }
    return { state: function () { return load(); } };
  }

  // ---- the route -----------------------------------------------------------------------------------

  function start() {
    // Record what went wrong where tests (and people) can see it.
    window.addEventListener('error', function (e) {
      document.body.dataset.jsErrors = String(Number(document.body.dataset.jsErrors || 0) + 1);
      document.body.dataset.lastError = String(e.message || e.type) + ' ' + String(e.filename || '') + ':' + String(e.lineno || '');
    }, true);
    window.addEventListener('unhandledrejection', function (e) {
      document.body.dataset.jsErrors = String(Number(document.body.dataset.jsErrors || 0) + 1);
      document.body.dataset.lastError = String(e.reason && e.reason.stack || e.reason);
    });
    const main = $('main');
    const path = location.pathname;
    let m;
    if (path === '/') app.page = indexPage(main);
    else if ((m = /^\/sweep\/([1-9][0-9]{0,17})$/.exec(path))) app.page = sweepPage(main, Number(m[1]));
    else if ((m = /^\/run\/([1-9][0-9]{0,17})$/.exec(path))) app.page = runPage(main, Number(m[1]));
    else if ((m = /^\/compare\/([1-9][0-9]{0,17})\/([1-9][0-9]{0,17})$/.exec(path))) app.page = comparePage(main, Number(m[1]), Number(m[2]));
    else replace(main, h('p', { class: 'error-box', text: 'no such page' }));
    // Record what the page could not load or was refused (tests read these from the page).
    document.addEventListener('securitypolicyviolation', function () {
      document.body.dataset.cspViolations = String(Number(document.body.dataset.cspViolations || 0) + 1);
    });
    poll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
