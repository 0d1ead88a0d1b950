/* reprints report: renders the embedded run data with plain DOM calls.
 * Every piece of data reaches the page through textContent, createTextNode, dataset or
 * element properties; nothing is parsed as HTML. Offsets in the data are code points and
 * are converted to UTF-16 string indices (cpToU16) before slicing JavaScript strings. */
(function () {
  'use strict';
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById('reprints-data').textContent);
  var META = D.meta, DOCS = D.docs, CL = D.clusters, MEM = D.members, P = D.passages;
  var SOURCES = D.sources, KINDS = D.kinds;
  var nC = CL.id.length, nM = MEM.doc.length, nP = P.id.length;
  // Passages of template pairs (filled-in forms, kind "template") are listed apart from reprints.
  var TEMPLATE_KIND = KINDS.indexOf('template');
  function isTemplate(q) { return P.kind[q] === TEMPLATE_KIND; }
  var nT = 0;
  for (var t0 = 0; t0 < nP; t0++) if (isTemplate(t0)) nT++;
  var nR = nP - nT;
  var PALETTE = 8;
  var NO_SOURCE = '(no source)';

  // ---------------------------------------------------------------- helpers
  function h(tag, props) {
    var e = document.createElement(tag);
    if (props) {
      for (var k in props) {
        var v = props[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'text') e.textContent = String(v);
        else if (k === 'class') e.className = v;
        else if (k === 'title') e.title = String(v);
        else if (k === 'href') e.setAttribute('href', v);
        else if (k === 'data') { for (var dk in v) e.dataset[dk] = String(v[dk]); }
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e[k] = v;
      }
    }
    for (var i = 2; i < arguments.length; i++) add(e, arguments[i]);
    return e;
  }
  function add(parent, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(parent, c); }); return; }
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
  function fmt(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'); }
  function plural(n, one, many) { return fmt(n) + ' ' + (n === 1 ? one : (many || one + 's')); }
  function dayIso(d) { return d === null || d === undefined ? null : new Date(d * 86400000).toISOString().slice(0, 10); }
  function isoDay(s) { if (!s) return null; var t = Date.parse(s + 'T00:00:00Z'); return isNaN(t) ? null : Math.floor(t / 86400000); }
  // Only http(s) links become links; anything else (javascript:, data:, …) stays text.
  function safeUrl(u) {
    if (typeof u !== 'string') return null;
    try { var url = new URL(u); return (url.protocol === 'http:' || url.protocol === 'https:') ? url.href : null; }
    catch (err) { return null; }
  }
  function srcName(d) { var s = DOCS.source[d]; return s >= 0 ? SOURCES[s] : NO_SOURCE; }
  function docDate(d) { return DOCS.date[d] || 'undated'; }
  function kindName(q) { return KINDS[P.kind[q]]; }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  // Code-point offset -> UTF-16 index, per string (identity when it has no astral chars).
  var cpCache = new Map();
  function cpToU16(text) {
    var f = cpCache.get(text);
    if (f) return f;
    if (!/[\uD800-\uDFFF]/.test(text)) { f = function (i) { return Math.min(i, text.length); }; }
    else {
      var map = [], u = 0, n = text.length;
      while (u < n) {
        map.push(u);
        var c = text.charCodeAt(u);
        u += (c >= 0xD800 && c <= 0xDBFF && u + 1 < n && (text.charCodeAt(u + 1) & 0xFC00) === 0xDC00) ? 2 : 1;
      }
      map.push(n);
      f = function (i) { return i >= map.length ? n : map[i]; };
    }
    if (text.length > 64) cpCache.set(text, f);
    return f;
  }

  // ---------------------------------------------------------------- indexes
  var clusterIndex = new Map(), passageIndex = new Map();
  CL.id.forEach(function (id, i) { clusterIndex.set(id, i); });
  P.id.forEach(function (id, i) { passageIndex.set(id, i); });
  var cFirstDay = new Array(nC).fill(null), cLastDay = new Array(nC).fill(null);
  for (var m = 0; m < nM; m++) {
    var c = MEM.cluster[m], day = DOCS.day[MEM.doc[m]];
    if (day === null) continue;
    if (cFirstDay[c] === null || day < cFirstDay[c]) cFirstDay[c] = day;
    if (cLastDay[c] === null || day > cLastDay[c]) cLastDay[c] = day;
  }
  var cPassages = [], cMaxWords = new Int32Array(nC), pairPassages = new Map();
  for (var i = 0; i < nC; i++) cPassages.push([]);
  for (var q = 0; q < nP; q++) {
    var pc = P.cluster[q];
    if (pc !== null) { cPassages[pc].push(q); if (P.words[q] > cMaxWords[pc]) cMaxWords[pc] = P.words[q]; }
    var key = pairKey(P.a[q], P.b[q]);
    if (!pairPassages.has(key)) pairPassages.set(key, []);
    pairPassages.get(key).push(q);
  }
  function pairKey(a, b) { return a < b ? a + ',' + b : b + ',' + a; }
  function hasText(d) { return typeof DOCS.text[d] === 'string'; }

  // ---------------------------------------------------------------- filters
  var F = { source: -1, from: null, to: null, minWords: 0, q: '' };
  var shownC = [], shownP = [], shownT = [];  // clusters, reprint passages, template passages
  var sortC = 'size', sortP = 'id';
  var lowered = null;

  function memberOk(d) {
    if (F.source >= 0 && DOCS.source[d] !== F.source) return false;
    if (F.from !== null || F.to !== null) {
      var day = DOCS.day[d];
      if (day === null) return false;
      if (F.from !== null && day < F.from) return false;
      if (F.to !== null && day > F.to) return false;
    }
    return true;
  }
  function docMatchesQuery(d) {
    return DOCS.id[d].toLowerCase().indexOf(F.q) >= 0 || (DOCS.title[d] || '').toLowerCase().indexOf(F.q) >= 0;
  }
  function applyFilters() {
    var okDoc = new Int8Array(DOCS.id.length).fill(-1);
    function dOk(d) { if (okDoc[d] < 0) okDoc[d] = memberOk(d) ? 1 : 0; return okDoc[d] === 1; }
    if (F.q && !lowered) lowered = MEM.snippet.map(function (s) { return (s || '').toLowerCase(); });
    var cOk = new Uint8Array(nC), cQ = new Uint8Array(nC);
    for (var m = 0; m < nM; m++) {
      var c = MEM.cluster[m], d = MEM.doc[m];
      if (dOk(d)) cOk[c] = 1;
      if (F.q && !cQ[c] && (docMatchesQuery(d) || lowered[m].indexOf(F.q) >= 0)) cQ[c] = 1;
    }
    shownC = [];
    for (var c2 = 0; c2 < nC; c2++) {
      if (cOk[c2] && cMaxWords[c2] >= F.minWords && (!F.q || cQ[c2])) shownC.push(c2);
    }
    sortClusters();
    shownP = []; shownT = [];
    for (var q = 0; q < nP; q++) {
      if (P.words[q] < F.minWords) continue;
      var a = P.a[q], b = P.b[q];
      if (!dOk(a) && !dOk(b)) continue;
      if (F.q && !docMatchesQuery(a) && !docMatchesQuery(b)) continue;
      (isTemplate(q) ? shownT : shownP).push(q);
    }
    sortPassages();
    var count = document.getElementById('f-count');
    if (count) {
      count.textContent = 'showing ' + fmt(shownC.length) + ' of ' + plural(nC, 'cluster') + ', ' +
        fmt(shownP.length) + ' of ' + plural(nR, 'passage') +
        (nT ? ', ' + fmt(shownT.length) + ' of ' + plural(nT, 'template passage') : '');
    }
  }
  function sortClusters() {
    var big = 1e9;
    var by = {
      size: function (x, y) { return x - y; },  // cluster ids are ranked largest first
      docs: function (x, y) { return CL.docs[y] - CL.docs[x] || x - y; },
      early: function (x, y) { return (cFirstDay[x] === null ? big : cFirstDay[x]) - (cFirstDay[y] === null ? big : cFirstDay[y]) || x - y; },
      late: function (x, y) { return (cLastDay[y] === null ? -big : cLastDay[y]) - (cLastDay[x] === null ? -big : cLastDay[x]) || x - y; },
      spread: function (x, y) { return spread(y) - spread(x) || x - y; }
    }[sortC];
    shownC.sort(by);
  }
  function spread(c) { return cFirstDay[c] === null ? -1 : cLastDay[c] - cFirstDay[c]; }
  function sortPassages() {
    var by = {
      id: function (x, y) { return x - y; },
      longest: function (x, y) { return P.words[y] - P.words[x] || x - y; },
      least: function (x, y) { return (P.similarity[x] === null ? 2 : P.similarity[x]) - (P.similarity[y] === null ? 2 : P.similarity[y]) || x - y; }
    }[sortP];
    shownP.sort(by);
    shownT.sort(by);
  }

  // ---------------------------------------------------------------- layout
  var app = document.getElementById('app');
  var main, tabs = {};
  var current = { view: null, arg: null, pair: null };
  var listScroll = {};

  function buildShell() {
    clear(app);
    var nav = h('nav', { class: 'tabs' });
    var views = [['overview', 'Overview', '#/'], ['clusters', 'Clusters', '#/clusters'], ['passages', 'Passages', '#/passages']];
    if (nT) views.push(['templates', 'Templates (' + plural(META.stats.template_pairs || 0, 'pair') + ')', '#/templates']);
    views.forEach(function (t) {
      tabs[t[0]] = h('a', { href: t[2], text: t[1] });
      nav.appendChild(tabs[t[0]]);
    });
    var source = h('select', { id: 'f-source', title: 'Clusters and passages with a document from this source' },
      h('option', { value: '-1', text: 'All sources' }),
      SOURCES.map(function (s, i) { return h('option', { value: String(i), text: s }); }));
    var first = dayIso(META.first_day), last = dayIso(META.last_day);
    var from = h('input', { id: 'f-from', type: 'date', min: first || '', max: last || '' });
    var to = h('input', { id: 'f-to', type: 'date', min: first || '', max: last || '' });
    var words = h('input', { id: 'f-words', type: 'number', min: '0', step: '5', value: '0', title: 'Hide passages with fewer matched words' });
    var query = h('input', { id: 'f-q', type: 'search', placeholder: 'document id, title or text', title: 'Search document ids, titles and cluster snippets' });
    var timer = null;
    function changed() {
      F.source = parseInt(source.value, 10);
      F.from = isoDay(from.value); F.to = isoDay(to.value);
      F.minWords = Math.max(0, parseInt(words.value, 10) || 0);
      F.q = query.value.trim().toLowerCase();
      clearTimeout(timer);
      document.body.dataset.filtering = '1';  // until the debounced change is applied (tests wait for that)
      timer = setTimeout(function () {
        applyFilters(); listScroll = {}; rerender();
        delete document.body.dataset.filtering;
      }, 120);
    }
    [source, from, to, words, query].forEach(function (e) { e.addEventListener('input', changed); e.addEventListener('change', changed); });
    var reset = h('button', { class: 'btn', id: 'f-reset', text: 'Reset', onclick: function () {
      source.value = '-1'; from.value = ''; to.value = ''; words.value = '0'; query.value = ''; changed();
    } });
    var header = h('header', { class: 'top' },
      h('div', { class: 'top-row' },
        h('div', { class: 'brand' }, 'reprints', h('span', { class: 'run', text: META.run })),
        nav,
        h('span', { class: 'count', id: 'f-count' })),
      h('div', { class: 'filters' },
        h('label', null, 'Source', source),
        h('label', null, 'From', from),
        h('label', null, 'to', to),
        h('label', null, 'Min. passage words', words),
        h('label', null, 'Find', query),
        reset));
    main = h('main', { id: 'main' });
    app.appendChild(header);
    app.appendChild(main);
  }
  function setSource(i) {
    var s = document.getElementById('f-source');
    s.value = String(i);
    s.dispatchEvent(new Event('change'));
  }

  // ---------------------------------------------------------------- routing
  function parseHash() {
    var parts = (location.hash || '#/').slice(1).split('/').filter(Boolean);
    return { view: parts[0] || 'overview', arg: parts.length > 1 ? decodeURIComponent(parts[1]) : null };
  }
  function route() {
    var r = parseHash();
    if (r.view === 'pair' && current.view === 'pair' && current.pair) {
      var q = passageIndex.get(Number(r.arg));
      if (q !== undefined && current.pair.has(q)) { current.pair.select(q, true); return; }
    }
    current = { view: r.view, arg: r.arg, pair: null };
    rerender(true);
  }
  function rerender(fresh) {
    var view = current.view;
    Object.keys(tabs).forEach(function (k) { tabs[k].className = k === view ? 'on' : ''; });
    if (view === 'pair' && !fresh) return;  // filters do not change a pair view
    clear(main);
    if (view === 'cluster') renderCluster(current.arg);
    else if (view === 'pair') current.pair = renderPair(current.arg);
    else if (view === 'clusters') renderClusterList();
    else if (view === 'passages') renderPassageList(false);
    else if (view === 'templates') renderPassageList(true);
    else renderOverview();
    if (fresh && view !== 'clusters' && view !== 'passages' && view !== 'templates') window.scrollTo(0, 0);
  }

  // ---------------------------------------------------------------- overview
  function textsNote() {
    if (META.texts === 'all') return null;
    var what = META.texts === 'none'
      ? 'Document texts are not in this report, so pair views show the shared passages only'
      : 'Some document texts are not in this report; their pair views show the shared passages only';
    return h('div', { class: 'note', id: 'texts-note' }, what + (META.texts_note ? ' (' + META.texts_note + ').' : '.'));
  }
  function card(n, label, sub) {
    return h('div', { class: 'card' }, h('div', { class: 'n', text: n }), h('div', { class: 'l', text: label }),
      sub ? h('div', { class: 'l', text: sub }) : null);
  }
  function renderOverview() {
    var s = META.stats;
    var kinds = Object.keys(s.passage_kinds || {}).filter(function (k) { return k !== 'template'; }).sort().map(function (k) { return fmt(s.passage_kinds[k]) + ' ' + k; }).join(', ');
    var first = dayIso(META.first_day), last = dayIso(META.last_day);
    add(main, [
      textsNote(),
      h('div', { class: 'cards' },
        card(fmt(s.documents_read), 'documents read', s.documents_skipped ? fmt(s.documents_skipped) + ' skipped' : null),
        card(fmt(s.documents_in_clusters), 'documents that share text'),
        card(fmt(s.document_pairs - (s.template_pairs || 0)), s.template_pairs ? 'reprint pairs' : 'document pairs', s.exact_duplicate_pairs ? fmt(s.exact_duplicate_pairs) + ' exact duplicates' : null),
        s.template_pairs ? h('a', { class: 'cardlink', id: 'template-card', href: '#/templates' },
          card(fmt(s.template_pairs), 'template pairs', 'filled-in forms (other names, figures, dates), ' +
            plural(nT, 'passage') + '; not reprints, not in clusters')) : null,
        card(fmt(nR), 'shared passages', kinds || null),
        card(fmt(s.clusters), 'reprint clusters', shownC.length !== nC ? fmt(shownC.length) + ' match the filters' : null),
        card(fmt(s.sources), 'sources'),
        card(first ? first.slice(0, 4) === (last || '').slice(0, 4) ? first.slice(0, 4) : first.slice(0, 4) + '–' + last.slice(0, 4) : '–',
          'dates', first ? first + ' → ' + last : 'no dates')),
      h('div', { class: 'grid2' },
        h('section', { class: 'panel', id: 'size-chart' }, h('h2', { text: 'Cluster sizes (member spans)' }), sizeChart()),
        h('section', { class: 'panel', id: 'timelines' },
          h('h2', null, 'Largest clusters over time', h('a', { class: 'more', href: '#/clusters', text: 'all clusters →' })),
          timelines())),
      h('div', { class: 'grid2' },
        h('section', { class: 'panel', id: 'reprinted-most' }, h('h2', { text: 'Sources reprinted most' }),
          sourceBars('origin')),
        h('section', { class: 'panel', id: 'reprinting-most' }, h('h2', { text: 'Sources that reprint most' }),
          sourceBars('reprint'))),
      h('section', { class: 'panel' },
        h('h2', null, 'Largest clusters', h('a', { class: 'more', href: '#/clusters', text: 'all ' + fmt(shownC.length) + ' →' })),
        clusterHead(),
        shownC.length ? h('div', null, shownC.slice().sort(function (x, y) { return x - y; }).slice(0, 6).map(clusterRow))
          : h('p', { class: 'empty', text: 'No cluster matches the filters.' })),
      h('p', { class: 'muted' }, 'Generated ' + META.generated + ' by reprints ' + (META.reprints_version || '') +
        (META.min_words ? ' · passages of at least ' + META.min_words + ' matched words' : ''))
    ]);
  }

  function sizeChart() {
    var buckets = [[2, 2, '2'], [3, 3, '3'], [4, 5, '4–5'], [6, 10, '6–10'], [11, 20, '11–20'], [21, 50, '21–50'],
      [51, 100, '51–100'], [101, Infinity, '101+']];
    var counts = buckets.map(function () { return 0; });
    shownC.forEach(function (c) {
      var n = CL.count[c];
      for (var b = 0; b < buckets.length; b++) if (n <= buckets[b][1]) { counts[b]++; break; }
    });
    var max = Math.max.apply(null, counts.concat([1]));
    var W = 520, H = 190, top = 18, bottom = 34, left = 8, gap = 10;
    var bw = (W - left * 2 - gap * (buckets.length - 1)) / buckets.length;
    var ns = 'http://www.w3.org/2000/svg';
    function s(tag, attrs, text) {
      var e = document.createElementNS(ns, tag);
      for (var k in attrs) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      return e;
    }
    var svg = s('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', 'aria-label': 'Cluster size distribution' });
    svg.appendChild(s('line', { class: 'axis', x1: 0, x2: W, y1: H - bottom + 0.5, y2: H - bottom + 0.5 }));
    buckets.forEach(function (b, i) {
      var x = left + i * (bw + gap);
      var bh = counts[i] ? Math.max(2, (H - top - bottom) * counts[i] / max) : 0;
      var rect = s('rect', { class: 'bar', x: x, y: H - bottom - bh, width: bw, height: bh, rx: 3 });
      rect.appendChild(s('title', {}, plural(counts[i], 'cluster') + ' of ' + b[2] + ' spans'));
      svg.appendChild(rect);
      svg.appendChild(s('text', { class: 'barval', x: x + bw / 2, y: H - bottom - bh - 5, 'text-anchor': 'middle' }, fmt(counts[i])));
      svg.appendChild(s('text', { x: x + bw / 2, y: H - bottom + 16, 'text-anchor': 'middle' }, b[2]));
    });
    svg.appendChild(s('text', { x: W / 2, y: H - 2, 'text-anchor': 'middle' }, 'spans per cluster'));
    return svg;
  }

  function clusterMembers(c) {
    var out = [];
    for (var m = CL.first[c]; m < CL.first[c] + CL.count[c]; m++) out.push(m);
    return out;
  }
  function timelineRow(c, big) {
    var members = clusterMembers(c);
    var d0 = cFirstDay[c], d1 = cLastDay[c], range = d1 === null ? 0 : d1 - d0;
    var trk = h('div', { class: 'trk', title: 'Open cluster #' + CL.id[c], onclick: function () { location.hash = '#/cluster/' + CL.id[c]; } });
    var undated = 0;
    // Reprints first, then the origin, so that the origin's dot is drawn on top.
    members.slice().reverse().forEach(function (m) {
      var d = MEM.doc[m], day = DOCS.day[d];
      if (day === null) { undated++; return; }
      var x = range ? (day - d0) / range : 0.5;
      var dot = h('span', { class: 'tdot' + (MEM.origin[m] ? ' origin' : ''),
        title: (MEM.origin[m] ? 'origin: ' : '') + srcName(d) + ' · ' + docDate(d) + ' · ' + DOCS.id[d] });
      dot.style.left = (x * 100).toFixed(3) + '%';
      trk.appendChild(dot);
    });
    var o = CL.origin[c], od = MEM.doc[o];
    var spanText = d0 === null ? 'undated' : (range ? dayIso(d0) + ' → ' + dayIso(d1).slice(5) + ' (' + plural(range, 'day') + ')' : dayIso(d0));
    return [
      h('div', { class: 'lab' }, h('a', { href: '#/cluster/' + CL.id[c], text: '#' + CL.id[c] }),
        ' ' + srcName(od), h('small', { text: plural(CL.count[c], 'span') + ' · ' + plural(CL.docs[c], 'document') })),
      trk,
      h('div', { class: 'span', text: spanText + (undated && d0 !== null ? ' · ' + undated + ' undated' : '') })
    ];
  }
  function timelines() {
    var top = shownC.slice().sort(function (x, y) { return x - y; }).slice(0, 8);
    if (!top.length) return h('p', { class: 'empty', text: 'No cluster matches the filters.' });
    return h('div', null,
      h('div', { class: 'tl' }, top.map(function (c) { return timelineRow(c, false); })),
      h('div', { class: 'legend' }, h('span', null, h('i', { class: 'o' }), 'origin (earliest dated member)'),
        h('span', null, h('i', { class: 'r' }), 'reprint'), h('span', { text: 'each row on its own time scale' })));
  }

  function sourceBars(which) {
    var counts = new Map(), clusters = new Map();
    shownC.forEach(function (c) {
      var members = clusterMembers(c), o = CL.origin[c], os = DOCS.source[MEM.doc[o]];
      var seen = new Set([MEM.doc[o]]), reprints = 0;
      members.forEach(function (m) {
        var d = MEM.doc[m];
        if (seen.has(d)) return;
        seen.add(d); reprints++;
        if (which === 'reprint') {
          var s = DOCS.source[d];
          counts.set(s, (counts.get(s) || 0) + 1);
          if (!clusters.has(s)) clusters.set(s, new Set());
          clusters.get(s).add(c);
        }
      });
      if (which === 'origin' && reprints) {
        counts.set(os, (counts.get(os) || 0) + reprints);
        clusters.set(os, (clusters.get(os) || 0) + 1);
      }
    });
    var rows = Array.from(counts.keys()).sort(function (x, y) { return counts.get(y) - counts.get(x) || x - y; }).slice(0, 10);
    if (!rows.length) return h('p', { class: 'empty', text: 'No reprints match the filters.' });
    var max = counts.get(rows[0]);
    return h('div', null, h('div', { class: 'hbars' }, rows.map(function (s) {
      var n = counts.get(s), k = which === 'origin' ? clusters.get(s) : clusters.get(s).size;
      var fill = h('div', { class: 'fill' + (which === 'origin' ? ' origin' : '') });
      fill.style.width = (100 * n / max).toFixed(2) + '%';
      var name = s >= 0 ? SOURCES[s] : NO_SOURCE;
      return [
        h('span', { class: s >= 0 ? 'name' : 'name plain', text: name, title: s >= 0 ? 'Show only clusters with ' + name : name,
          onclick: s >= 0 ? function () { setSource(s); } : null }),
        h('div', { class: 'track' }, fill),
        h('span', { class: 'v', text: which === 'origin'
          ? plural(n, 'reprint') + ' of ' + plural(k, 'cluster')
          : plural(n, 'reprint') + ' in ' + plural(k, 'cluster') })
      ];
    })), h('p', { class: 'legend', text: which === 'origin'
      ? 'Reprints (other documents) of clusters whose origin is from the source.'
      : 'Documents from the source that carry a passage first published elsewhere.' }));
  }

  // ---------------------------------------------------------------- lists
  function clusterHead() {
    return h('div', { class: 'listhead crow' }, h('span', { text: 'Cluster' }), h('span', { text: 'Documents' }),
      h('span', { text: 'Origin' }), h('span', { text: 'Dates' }), h('span', { text: 'Origin text' }));
  }
  function clusterRow(c) {
    var o = CL.origin[c], od = MEM.doc[o];
    var d0 = cFirstDay[c], d1 = cLastDay[c];
    return h('div', { class: 'row crow', data: { cluster: CL.id[c] }, onclick: function () { location.hash = '#/cluster/' + CL.id[c]; } },
      h('div', { class: 'cell' }, h('span', { class: 'big', text: '#' + CL.id[c] }), h('small', { text: plural(CL.count[c], 'span') })),
      h('div', { class: 'cell' }, h('span', { class: 'big', text: fmt(CL.docs[c]) }), h('small', { text: 'documents' })),
      h('div', { class: 'cell' }, h('span', { text: srcName(od), title: srcName(od) }), h('small', { text: docDate(od) })),
      h('div', { class: 'cell' }, h('span', { text: d0 === null ? 'undated' : dayIso(d0) }),
        h('small', { text: d0 === null || d1 === d0 ? '' : '→ ' + dayIso(d1) + ' (' + plural(d1 - d0, 'day') + ')' })),
      h('div', { class: 'cell snip', dir: 'auto', text: MEM.snippet[o] || '' }));
  }
  function passageHead() {
    return h('div', { class: 'listhead prow' }, h('span', { text: 'Passage' }), h('span', { text: 'Document A' }),
      h('span', { text: 'Document B' }), h('span', { text: 'Words' }), h('span', { text: 'Kind' }), h('span', { text: 'Similarity' }));
  }
  function docCell(d) {
    return h('div', { class: 'cell' }, h('span', { text: DOCS.title[d] || DOCS.id[d], title: DOCS.id[d] }),
      h('small', { text: srcName(d) + ' · ' + docDate(d) }));
  }
  function passageRow(q) {
    return h('div', { class: 'row prow', data: { passage: P.id[q] }, onclick: function () { location.hash = '#/pair/' + P.id[q]; } },
      h('div', { class: 'cell big', text: '#' + P.id[q] }),
      docCell(P.a[q]), docCell(P.b[q]),
      h('div', { class: 'cell', text: fmt(P.words[q]) }),
      h('div', { class: 'cell' }, h('span', { class: 'badge kind-' + kindName(q), text: kindName(q) })),
      h('div', { class: 'cell', text: P.similarity[q] === null ? '–' : P.similarity[q].toFixed(3) }));
  }
  // A scrolling list that builds DOM rows only for what is visible (plus a margin).
  function virtualList(id, count, rowHeight, renderRow) {
    var box = h('div', { class: 'vlist', id: id, tabIndex: 0 });
    var spacer = h('div', { class: 'spacer' });
    var win = h('div', { class: 'win' });
    spacer.style.height = (count * rowHeight) + 'px';
    box.appendChild(spacer); box.appendChild(win);
    var first = -1, last = -1, pending = false;
    function draw() {
      var top = box.scrollTop, height = box.clientHeight || 800;
      var f = Math.max(0, Math.floor(top / rowHeight) - 8);
      var l = Math.min(count, Math.ceil((top + height) / rowHeight) + 8);
      if (f === first && l === last) return;
      first = f; last = l;
      win.style.transform = 'translateY(' + (f * rowHeight) + 'px)';
      var frag = document.createDocumentFragment();
      for (var i = f; i < l; i++) frag.appendChild(renderRow(i));
      clear(win).appendChild(frag);
    }
    box.addEventListener('scroll', function () {
      listScroll[id] = box.scrollTop;
      if (!pending) { pending = true; requestAnimationFrame(function () { pending = false; draw(); }); }
    });
    box.draw = draw;
    return box;
  }
  function select(id, options, value, onchange) {
    var s = h('select', { id: id, onchange: function () { onchange(s.value); } },
      options.map(function (o) { return h('option', { value: o[0], text: o[1] }); }));
    s.value = value;
    return s;
  }
  function mountList(box) {
    main.appendChild(box);
    if (listScroll[box.id]) box.scrollTop = listScroll[box.id];
    box.draw();
  }
  function renderClusterList() {
    add(main, h('div', { class: 'toolbar' }, h('strong', { text: plural(shownC.length, 'cluster') }),
      shownC.length !== nC ? ' (of ' + fmt(nC) + ')' : null, ' · sort by ',
      select('sort-clusters', [['size', 'largest first'], ['docs', 'most documents'], ['early', 'earliest first'],
        ['late', 'latest first'], ['spread', 'longest time span']], sortC,
      function (v) { sortC = v; sortClusters(); listScroll = {}; rerender(); })));
    if (!shownC.length) { add(main, h('p', { class: 'empty', text: 'No cluster matches the filters.' })); return; }
    add(main, clusterHead());
    mountList(virtualList('cluster-list', shownC.length, 60, function (i) { return clusterRow(shownC[i]); }));
  }
  // The passages of reprint pairs, or (``templates``) those of template pairs, which are listed apart.
  function renderPassageList(templates) {
    var shown = templates ? shownT : shownP, total = templates ? nT : nR;
    var what = templates ? 'template passage' : 'passage';
    if (templates) {
      add(main, h('div', { class: 'note', id: 'templates-note' }, 'Template pairs share only a filled-in form: the same ' +
        'words around other names, figures and dates (notices of other days, announcements of other companies). They ' +
        'are not reprints and are in no cluster (' + plural(META.stats.template_pairs || 0, 'template pair') + ', ' +
        plural(nT, 'passage') + ').'));
    }
    add(main, h('div', { class: 'toolbar' }, h('strong', { text: plural(shown.length, what) }),
      shown.length !== total ? ' (of ' + fmt(total) + ')' : null, ' · sort by ',
      select('sort-passages', [['id', 'passage id'], ['longest', 'longest first'], ['least', 'most edited first']], sortP,
        function (v) { sortP = v; sortPassages(); listScroll = {}; rerender(); })));
    if (!shown.length) { add(main, h('p', { class: 'empty', text: 'No ' + what + ' matches the filters.' })); return; }
    add(main, passageHead());
    mountList(virtualList(templates ? 'template-list' : 'passage-list', shown.length, 48, function (i) { return passageRow(shown[i]); }));
  }

  // ---------------------------------------------------------------- cluster view
  function overlaps(b0, e0, b1, e1) { return b0 < e1 && b1 < e0; }
  function passageLabel(q, d) {
    var other = P.a[q] === d ? P.b[q] : P.a[q];
    return '↔ ' + srcName(other) + ' · ' + DOCS.id[other] + ' · ' + P.words[q] + ' words · ' + kindName(q);
  }
  function renderCluster(arg) {
    var c = clusterIndex.get(Number(arg));
    if (c === undefined) { add(main, h('p', { class: 'empty', text: 'No cluster #' + arg + ' in this run.' })); return; }
    var members = clusterMembers(c), o = CL.origin[c], od = MEM.doc[o];
    var ps = cPassages[c];
    var hidden = ps.filter(function (q) { return P.words[q] < F.minWords; }).length;
    var d0 = cFirstDay[c], d1 = cLastDay[c];
    add(main, [
      h('p', null, h('a', { href: '#/clusters', text: '← all clusters' })),
      h('h1', { text: 'Cluster #' + CL.id[c] }),
      h('div', { class: 'chips' },
        h('span', { class: 'chip', text: plural(CL.count[c], 'span') + ' in ' + plural(CL.docs[c], 'document') }),
        h('span', { class: 'chip', text: 'origin: ' + srcName(od) + ' · ' + docDate(od) }),
        h('span', { class: 'chip', text: d0 === null ? 'undated' : (d0 === d1 ? dayIso(d0) : dayIso(d0) + ' → ' + dayIso(d1) + ' (' + plural(d1 - d0, 'day') + ')') }),
        h('span', { class: 'chip', text: plural(ps.length, 'passage') + (hidden ? ' (' + hidden + ' shorter than ' + F.minWords + ' words hidden)' : '') })),
      h('section', { class: 'panel', id: 'cluster-timeline' }, h('h2', { text: 'Timeline' }),
        h('div', { class: 'tl big' }, timelineRow(c, true)))
    ]);
    var table = h('table', { class: 'members', id: 'members' },
      h('thead', null, h('tr', null, ['', 'Date', 'Source', 'Document', 'Span', 'Text', 'Passages'].map(function (t) { return h('th', { text: t }); }))));
    var body = h('tbody');
    table.appendChild(body);
    var shown = 0, PAGE = 100;
    var more = h('button', { class: 'btn', id: 'more-members', onclick: page });
    function memberRow(m) {
      var d = MEM.doc[m], b = MEM.begin[m], e = MEM.end[m];
      var links = ps.filter(function (q) {
        if (P.words[q] < F.minWords) return false;
        return (P.a[q] === d && overlaps(P.begin_a[q], P.end_a[q], b, e)) || (P.b[q] === d && overlaps(P.begin_b[q], P.end_b[q], b, e));
      });
      var url = safeUrl(DOCS.url[d]);
      return h('tr', { class: MEM.origin[m] ? 'origin' : '', data: { member: m } },
        h('td', null, h('span', { class: 'badge ' + (MEM.origin[m] ? 'origin' : 'reprint'), text: MEM.origin[m] ? 'origin' : 'reprint' })),
        h('td', { class: 'nowrap', text: docDate(d) }),
        h('td', { text: srcName(d) }),
        h('td', null, DOCS.title[d] ? h('div', { text: DOCS.title[d] }) : null, h('div', { class: 'doc-id', text: DOCS.id[d] }),
          url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: 'open source page', class: 'sub' }) : null),
        h('td', { class: 'nowrap' }, fmt(b) + '–' + fmt(e), h('small', { text: plural(e - b, 'char') })),
        h('td', { class: 'snip', dir: 'auto', text: MEM.snippet[m] || '' }),
        h('td', null, h('div', { class: 'links' }, links.map(function (q) {
          return h('a', { href: '#/pair/' + P.id[q], text: passageLabel(q, d), title: 'Compare side by side' });
        }))));
    }
    function page() {
      var n = Math.min(members.length, shown + PAGE);
      var frag = document.createDocumentFragment();
      for (; shown < n; shown++) frag.appendChild(memberRow(members[shown]));
      body.appendChild(frag);
      more.textContent = 'Show more (' + fmt(members.length - shown) + ' left)';
      more.hidden = shown >= members.length;
    }
    page();
    add(main, lineageTree(c, members, ps));
    add(main, h('section', { class: 'panel' }, h('h2', { text: 'Members (origin first, then by date)' }), table, h('p', null, more)));
  }

  // Who took it from whom: the members as a tree (each under its source, clusters.parquet's
  // source_doc_id), with dates and outlets; every edge opens the pair view of the passage
  // between the member and its source. Members without a source start their own branch.
  function lineageTree(c, members, ps) {
    var kids = new Map(), roots = [], LIMIT = 500, shown = 0;
    members.forEach(function (m) {
      var s = MEM.source ? MEM.source[m] : null;
      if (s === null || s === undefined) { roots.push(m); return; }
      if (!kids.has(s)) kids.set(s, []);
      kids.get(s).push(m);
    });
    var longest = new Map();  // document pair -> its longest passage in this cluster
    ps.forEach(function (q) {
      var k = pairKey(P.a[q], P.b[q]), best = longest.get(k);
      if (best === undefined || P.words[q] > P.words[best]) longest.set(k, q);
    });
    function edge(m) {  // the longest passage between member m and its source
      var q = longest.get(pairKey(MEM.doc[m], MEM.doc[MEM.source[m]]));
      return q === undefined ? null : q;
    }
    function node(m) {
      shown++;
      var d = MEM.doc[m], hasSource = MEM.source && MEM.source[m] !== null && MEM.source[m] !== undefined;
      var q = hasSource ? edge(m) : null;
      var label = [h('span', { class: 'nowrap', text: docDate(d) }), ' · ', h('b', { text: srcName(d) }), ' · ',
        h('span', { class: 'doc-id', text: DOCS.id[d] })];
      if (MEM.origin[m]) label.unshift(h('span', { class: 'badge origin', text: 'origin' }), ' ');
      if (q !== null) label.push(' ', h('a', { href: '#/pair/' + P.id[q], class: 'edge', title: 'Compare with its source side by side',
        text: '← took ' + fmt(Math.round(MEM.source_score[m])) + ' words' }));
      else if (!MEM.origin[m] && MEM.source_reason && MEM.source_reason[m]) label.push(h('small', { text: ' (no source: ' + MEM.source_reason[m] + ')' }));
      var li = h('li', { data: { member: m } }, label);
      var children = kids.get(m) || [];
      if (children.length && shown < LIMIT) {
        var ul = h('ul');
        children.forEach(function (k) { if (shown < LIMIT) ul.appendChild(node(k)); });
        li.appendChild(ul);
      }
      return li;
    }
    var top = h('ul', { class: 'tree', id: 'lineage' });
    roots.forEach(function (m) { if (shown < LIMIT) top.appendChild(node(m)); });
    return h('section', { class: 'panel', id: 'cluster-lineage' }, h('h2', { text: 'Who took it from whom' }), top,
      shown < members.length ? h('p', { class: 'sub', text: 'first ' + fmt(shown) + ' of ' + plural(members.length, 'member') + ' shown' }) : null);
  }

  // ---------------------------------------------------------------- pair view
  function sideOf(q, d) {  // this passage's span and text in document d
    var isA = P.a[q] === d;
    return { begin: isA ? P.begin_a[q] : P.begin_b[q], end: isA ? P.end_a[q] : P.end_b[q], isA: isA,
      text: isA ? P.text_a[q] : P.text_b[q] };
  }
  // Marks of document d (or of one passage's text, base = its begin) from the passages qs.
  function marks(d, qs, colours, base, onlyDiffOf) {
    var ranges = [], carets = [];
    qs.forEach(function (q) {
      var s = sideOf(q, d);
      if (onlyDiffOf === undefined) ranges.push({ b: s.begin, e: s.end, q: q, k: colours.get(q) });
      else ranges.push({ b: base, e: base + (s.end - s.begin), q: q, k: colours.get(q) });
      (P.diff[q] || []).forEach(function (op, j) {
        var b = s.isA ? op[1] : op[3], e = s.isA ? op[2] : op[4];
        var ob = s.isA ? op[3] : op[1], oe = s.isA ? op[4] : op[2];
        var shift = onlyDiffOf === undefined ? 0 : base - s.begin;
        if (b === e) {
          var other = s.isA ? P.b[q] : P.a[q];
          carets.push({ at: b + shift, ins: s.isA, q: q, other: other, ob: ob, oe: oe, op: P.id[q] + ':' + j });
        } else {
          ranges.push({ b: b + shift, e: e + shift, cls: op[0] === 'chg' ? 'd-chg' : (s.isA ? 'd-del' : 'd-ins'), q: q,
            op: P.id[q] + ':' + j });
        }
      });
    });
    return { ranges: ranges, carets: carets };
  }
  function otherText(c) {  // the words the other side has where this side has none
    var t = DOCS.text[c.other];
    if (typeof t === 'string') { var f = cpToU16(t); return t.slice(f(c.ob), f(c.oe)); }
    var s = sideOf(c.q, c.other), f2 = cpToU16(s.text);
    return s.text.slice(f2(c.ob - s.begin), f2(c.oe - s.begin));
  }
  // Renders text into pane with passages and word differences marked; returns {q: [first, last]} elements.
  function renderMarked(pane, text, mk) {
    var f = cpToU16(text), n = text.length;
    var ranges = mk.ranges.map(function (r) { return { b: f(r.b), e: f(r.e), q: r.q, k: r.k, cls: r.cls, op: r.op }; })
      .filter(function (r) { return r.e > r.b; });
    var carets = new Map();
    mk.carets.forEach(function (c) { var at = f(c.at); if (!carets.has(at)) carets.set(at, []); carets.get(at).push(c); });
    var pts = new Set([0, n]);
    ranges.forEach(function (r) { pts.add(r.b); pts.add(r.e); });
    carets.forEach(function (_, at) { pts.add(at); });
    var cuts = Array.from(pts).filter(function (x) { return x >= 0 && x <= n; }).sort(function (x, y) { return x - y; });
    ranges.sort(function (x, y) { return x.b - y.b; });
    var frag = document.createDocumentFragment(), anchors = {}, active = [], next = 0;
    function emitCarets(at) {
      (carets.get(at) || []).forEach(function (c) {
        var words = otherText(c);
        frag.appendChild(h('span', { class: 'caret' + (c.ins ? ' ins' : ''), text: '‸', data: { d: c.op },
          title: (c.ins ? 'the other document adds: ' : 'the other document has here: ') + words }));
      });
    }
    for (var i = 0; i < cuts.length - 1; i++) {
      var x = cuts[i], y = cuts[i + 1];
      emitCarets(x);
      while (next < ranges.length && ranges[next].b <= x) active.push(ranges[next++]);
      active = active.filter(function (r) { return r.e > x; });
      var seg = text.slice(x, y), qs = [], cls = null, k = null, op = null;
      active.forEach(function (r) {
        if (r.cls) { cls = r.cls; op = r.op; }
        else { qs.push(r.q); if (k === null) k = r.k; }
      });
      if (!qs.length) { frag.appendChild(document.createTextNode(seg)); continue; }
      var data = { p: qs.map(function (q) { return P.id[q]; }).join(' ') };
      if (op) data.d = op;
      var span = h('span', { class: 'psg c' + (k % PALETTE) + (cls ? ' ' + cls : ''), text: seg, data: data });
      qs.forEach(function (q) { if (!anchors[q]) anchors[q] = [span, span]; else anchors[q][1] = span; });
      frag.appendChild(span);
    }
    emitCarets(n);
    clear(pane).appendChild(frag);
    return anchors;
  }
  function docHead(d, label) {
    var url = safeUrl(DOCS.url[d]);
    return h('div', { class: 'dochead' },
      h('div', { class: 't' }, h('span', { class: 'badge reprint', text: label }), ' ', h('bdi', { text: DOCS.title[d] || DOCS.id[d] })),
      h('div', { class: 'm' }, srcName(d) + ' · ' + docDate(d) + ' · ', h('span', { class: 'doc-id', text: DOCS.id[d] }),
        ' · ' + plural(DOCS.length[d], 'char')),
      DOCS.url[d] ? h('div', { class: 'u' }, url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer', text: DOCS.url[d] })
        : h('span', { class: 'muted', text: DOCS.url[d] })) : null);
  }
  function renderPair(arg) {
    var q0 = passageIndex.get(Number(arg));
    if (q0 === undefined) { add(main, h('p', { class: 'empty', text: 'No passage #' + arg + ' in this run.' })); return null; }
    // The earlier-listed document of the passage on the left.
    var da = P.a[q0], db = P.b[q0];
    var qs = pairPassages.get(pairKey(da, db)).slice().sort(function (x, y) { return sideOf(x, da).begin - sideOf(y, da).begin || x - y; });
    var colours = new Map();
    qs.forEach(function (q, i) { colours.set(q, i); });
    var c = P.cluster[q0];
    var sel = q0;
    var info = h('span', { class: 'muted', id: 'pair-info' });
    var title = h('h1', { id: 'pair-title' });
    var kind = h('span', { class: 'badge' });
    function step(dir) {
      var i = qs.indexOf(sel) + dir;
      if (i >= 0 && i < qs.length) location.hash = '#/pair/' + P.id[qs[i]];
    }
    var prev = h('button', { class: 'btn', text: '← previous', onclick: function () { step(-1); } });
    var next = h('button', { class: 'btn', text: 'next →', onclick: function () { step(1); } });
    var chips = h('div', { class: 'plist', id: 'pair-passages' }, qs.length > 1 ? qs.map(function (q) {
      var a = h('a', { href: '#/pair/' + P.id[q], class: 'psg c' + (colours.get(q) % PALETTE), data: { chip: P.id[q] },
        text: '#' + P.id[q] + ' · ' + P.words[q] + ' words · ' + kindName(q) });
      return a;
    }) : null);
    var diffToggle = h('input', { type: 'checkbox', id: 'show-diff', checked: true });
    var linkToggle = h('input', { type: 'checkbox', id: 'link-scroll', checked: true });
    add(main, [
      h('p', null, c !== null ? h('a', { href: '#/cluster/' + CL.id[c], text: '← cluster #' + CL.id[c] })
        : isTemplate(q0) ? h('a', { href: '#/templates', text: '← template pairs' }) : h('a', { href: '#/passages', text: '← passages' })),
      isTemplate(q0) ? h('div', { class: 'note', id: 'template-pair-note' }, 'A template pair: the two documents share a ' +
        'filled-in form (the same words around other names, figures and dates), not a reprinted story. It is in no cluster.') : null,
      h('div', { class: 'pairhead' }, title, kind, info, prev, next),
      chips,
      h('div', { class: 'pairlegend' },
        h('span', null, 'Word differences: '),
        h('span', { class: 'sw d-del', text: 'only in left' }), h('span', { class: 'sw d-ins', text: 'only in right' }),
        h('span', { class: 'sw d-chg', text: 'changed' }), h('span', null, h('span', { class: 'caret', text: '‸' }), ' words missing here (hover)'),
        h('label', null, diffToggle, 'show differences'),
        h('label', null, linkToggle, 'link scrolling'))
    ]);
    var both = hasText(da) && hasText(db);
    var container, panes = null, anchors = null;
    if (both) {
      var paneA = h('div', { class: 'doctext', id: 'text-a', tabIndex: 0, dir: 'auto' });
      var paneB = h('div', { class: 'doctext', id: 'text-b', tabIndex: 0, dir: 'auto' });
      container = h('div', { class: 'sides' + (qs.length > 1 ? ' multi' : ''), id: 'sides' },
        h('section', { class: 'side', id: 'side-a' }, docHead(da, 'left'), paneA),
        h('section', { class: 'side', id: 'side-b' }, docHead(db, 'right'), paneB));
      main.appendChild(container);
      anchors = [renderMarked(paneA, DOCS.text[da], marks(da, qs, colours)),
        renderMarked(paneB, DOCS.text[db], marks(db, qs, colours))];
      panes = [paneA, paneB];
      linkScrolling(panes, qs, anchors, linkToggle);
    } else {
      container = h('div', { id: 'sides' });
      add(main, [h('div', { class: 'note', id: 'texts-note' },
        'The texts of these documents are not in this report' + (META.texts_note ? ' (' + META.texts_note + ')' : '') +
        '; each shared passage is shown on its own.'),
        h('div', { class: 'sides' }, h('section', { class: 'side', id: 'side-a' }, docHead(da, 'left')),
          h('section', { class: 'side', id: 'side-b' }, docHead(db, 'right'))),
        h('p'), container]);
      qs.forEach(function (q) {
        var sa = sideOf(q, da), sb = sideOf(q, db);
        var pa = h('div', { class: 'doctext', dir: 'auto' }), pb = h('div', { class: 'doctext', dir: 'auto' });
        var card = h('section', { class: 'pcard', data: { card: P.id[q] } },
          h('div', { class: 'ph' }, h('span', { class: 'psg c' + (colours.get(q) % PALETTE), text: '#' + P.id[q] }),
            h('span', { class: 'badge kind-' + kindName(q), text: kindName(q) }),
            h('span', { class: 'muted', text: P.words[q] + ' words · ' + fmt(sa.begin) + '–' + fmt(sa.end) + ' ↔ ' + fmt(sb.begin) + '–' + fmt(sb.end) })),
          h('div', { class: 'sides' }, h('div', { class: 'side' }, pa), h('div', { class: 'side' }, pb)));
        container.appendChild(card);
        renderMarked(pa, sa.text, marks(da, [q], colours, 0, true));
        renderMarked(pb, sb.text, marks(db, [q], colours, 0, true));
        card.querySelectorAll('[data-d]').forEach(function (e) { e.classList.add('on'); });
      });
    }
    diffToggle.addEventListener('change', function () { container.classList.toggle('hidediff', !diffToggle.checked); });
    container.addEventListener('click', function (ev) {
      var t = ev.target;
      if (!(t instanceof HTMLElement) || !t.dataset.p) return;
      var ids = t.dataset.p.split(' ').map(Number);
      var cur = ids.indexOf(P.id[sel]);
      location.hash = '#/pair/' + ids[(cur + 1) % ids.length];
    });
    function selectPassage(q, scroll) {
      sel = q;
      title.textContent = 'Passage #' + P.id[q];
      kind.className = 'badge kind-' + kindName(q);
      kind.textContent = kindName(q);
      var i = qs.indexOf(q);
      info.textContent = P.words[q] + ' matched words · similarity ' + (P.similarity[q] === null ? '–' : P.similarity[q].toFixed(3)) +
        ' · ' + (i + 1) + ' of ' + plural(qs.length, 'passage') + ' between these documents';
      prev.disabled = i <= 0; next.disabled = i >= qs.length - 1;
      main.querySelectorAll('.sel').forEach(function (e) { e.classList.remove('sel'); });
      main.querySelectorAll('[data-p~="' + P.id[q] + '"], [data-chip="' + P.id[q] + '"]').forEach(function (e) { e.classList.add('sel'); });
      container.style.setProperty('--selc', 'var(--p' + (colours.get(q) % PALETTE) + ')');
      if (panes) {
        container.querySelectorAll('[data-d].on').forEach(function (e) { e.classList.remove('on'); });
        container.querySelectorAll('[data-d^="' + P.id[q] + ':"]').forEach(function (e) { e.classList.add('on'); });
      }
      main.querySelectorAll('.plist a').forEach(function (e) { e.classList.toggle('on', e.dataset.chip === String(P.id[q])); });
      if (!scroll) return;
      if (panes) {
        panes.forEach(function (pane, s) {
          var el = anchors[s][q] && anchors[s][q][0];
          if (el) { pane.scrollTop = Math.max(0, el.offsetTop - pane.clientHeight / 5); pane.programmatic = pane.scrollTop; }
        });
      } else {
        var card = container.querySelector('[data-card="' + P.id[q] + '"]');
        if (card) card.scrollIntoView({ block: 'start' });
      }
    }
    selectPassage(q0, false);
    // Scroll once laid out, unless another passage of the pair was selected meanwhile (it scrolled
    // itself; selecting this one again would take the title and highlights back).
    requestAnimationFrame(function () { if (sel === q0) selectPassage(q0, true); });
    document.onkeydown = function (ev) {
      if (current.view !== 'pair' || ev.target instanceof HTMLInputElement || ev.target instanceof HTMLSelectElement) return;
      if (ev.key === 'n' || ev.key === 'j') step(1);
      if (ev.key === 'p' || ev.key === 'k') step(-1);
    };
    return { has: function (q) { return qs.indexOf(q) >= 0; }, select: selectPassage };
  }

  // Scroll linking: the two panes move together, matching passage to passage. Each passage's
  // first and last line on both sides are anchor points; positions between anchors are
  // interpolated, so unshared text scrolls at the pace of its own side.
  function linkScrolling(panes, qs, anchors, toggle) {
    var map = null;
    function build() {
      var pts = [];
      qs.forEach(function (q) {
        var a = anchors[0][q], b = anchors[1][q];
        if (!a || !b) return;
        pts.push([a[0].offsetTop, b[0].offsetTop]);
        pts.push([a[1].offsetTop + a[1].offsetHeight, b[1].offsetTop + b[1].offsetHeight]);
      });
      pts.sort(function (x, y) { return x[0] - y[0]; });
      var mono = [[0, 0]];
      pts.forEach(function (p) { var l = mono[mono.length - 1]; if (p[0] > l[0] && p[1] > l[1]) mono.push(p); });
      var endA = panes[0].scrollHeight, endB = panes[1].scrollHeight, l = mono[mono.length - 1];
      if (endA > l[0] && endB > l[1]) mono.push([endA, endB]);
      map = mono;
    }
    function interp(y, from, to) {
      var m = map;
      if (m.length < 2) return y;
      var i = 1;
      while (i < m.length - 1 && m[i][from] < y) i++;
      var p0 = m[i - 1], p1 = m[i], span = p1[from] - p0[from];
      var t = span > 0 ? (y - p0[from]) / span : 0;
      return p0[to] + Math.max(0, Math.min(1, t)) * (p1[to] - p0[to]);
    }
    var pending = null;
    panes.forEach(function (pane, s) {
      pane.addEventListener('scroll', function () {
        if (pane.programmatic !== undefined && Math.abs(pane.scrollTop - pane.programmatic) <= 2) { pane.programmatic = undefined; return; }
        pane.programmatic = undefined;
        if (!toggle.checked) return;
        pending = s;
        requestAnimationFrame(function () {
          if (pending === null) return;
          var src = panes[pending], dst = panes[1 - pending], from = pending, to = 1 - pending;
          pending = null;
          if (!map) build();
          var y = interp(src.scrollTop + src.clientHeight / 3, from, to) - dst.clientHeight / 3;
          y = Math.max(0, Math.min(dst.scrollHeight - dst.clientHeight, y));
          if (Math.abs(dst.scrollTop - y) > 1) { dst.scrollTop = y; dst.programmatic = dst.scrollTop; }
        });
      });
    });
    window.addEventListener('resize', function () { map = null; });
  }

  // ---------------------------------------------------------------- start
  buildShell();
  applyFilters();
  window.addEventListener('hashchange', route);
  route();
  window.__reportReady = { ms: Math.round(performance.now() - T0), clusters: nC, passages: nP };
  document.body.dataset.ready = '1';
})();
