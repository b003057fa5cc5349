/* benchgate HTML report: vanilla JS, inline SVG, no network. The run's data is embedded as
   gzip + base64 in <script id="benchgate-data"> and decoded with DecompressionStream. */
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const el = (tag, attrs, ...kids) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const kid of kids.flat()) if (kid != null) node.append(kid instanceof Node ? kid : String(kid));
    return node;
  };
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs, ...kids) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const kid of kids.flat()) if (kid != null) node.append(kid instanceof Node ? kid : String(kid));
    return node;
  };
  const fmt = (x, d = 4) => (x == null || Number.isNaN(x) ? "–" : Number(x).toFixed(d));
  const PAGE = 50;

  const marks = {};
  const mark = (name) => { marks[name] = performance.now(); };
  async function decode() {
    const raw = atob($("#benchgate-data").textContent.trim());
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    mark("base64");
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    const text = await new Response(stream).text();
    mark("gunzip");
    const data = JSON.parse(text);
    mark("parse");
    return data;
  }

  // ---- charts ------------------------------------------------------------------------------
  function barChart(title, rows, opts) {
    // rows: [{label, score, ci:[lo,hi]|null, n}] -> horizontal bars with CI whiskers
    const o = Object.assign({ width: 560, row: 18, label: 170 }, opts || {});
    const vals = rows.map((r) => r.score).filter((v) => v != null);
    const lo = Math.min(0, ...vals), hi = vals.some((v) => v > 1) ? Math.max(...vals) * 1.05 : 1;
    const clip = (v) => Math.max(lo, Math.min(hi, v));
    const W = o.width, L = o.label, H = 28 + rows.length * o.row + 22, pw = W - L - 50;
    const X = (v) => L + ((v - lo) / (hi - lo || 1)) * pw;
    const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "chart",
      "font-family": "sans-serif", "font-size": 11, role: "img", "aria-label": title });
    g.append(svg("text", { x: 4, y: 14, "font-weight": "bold", "font-size": 12 }, title));
    for (const t of [0, 0.25, 0.5, 0.75, 1].map((f) => lo + f * (hi - lo))) {
      g.append(svg("line", { x1: X(t), x2: X(t), y1: 22, y2: H - 18, stroke: "#eee" }));
      g.append(svg("text", { x: X(t), y: H - 6, "text-anchor": "middle", fill: "#666" }, fmt(t, 2)));
    }
    rows.forEach((r, i) => {
      const y = 24 + i * o.row;
      const lab = r.label.length > 26 ? r.label.slice(0, 25) + "…" : r.label;
      g.append(svg("text", { x: L - 6, y: y + o.row * 0.65, "text-anchor": "end" }, lab));
      if (r.score != null) {
        const bar = svg("rect", { x: X(Math.min(0, r.score)), y: y + 2, width: Math.max(1, Math.abs(X(r.score) - X(0))),
          height: o.row - 5, fill: "#5b8def", class: "score-bar" });
        bar.append(svg("title", {}, `${r.label}: ${fmt(r.score)} (n=${r.n ?? "?"})` +
          (r.ci ? ` 95% CI [${fmt(r.ci[0])}, ${fmt(r.ci[1])}]` : "")));
        g.append(bar);
        g.append(svg("text", { x: X(r.score) + 4, y: y + o.row * 0.65, fill: "#333" }, fmt(r.score, 3)));
      }
      if (r.ci && r.ci[0] != null) {
        const cy = y + (o.row - 3) / 2;
        g.append(svg("line", { x1: X(clip(r.ci[0])), x2: X(clip(r.ci[1])), y1: cy, y2: cy, stroke: "#222", class: "ci-bar" }));
        for (const v of r.ci) g.append(svg("line", { x1: X(clip(v)), x2: X(clip(v)), y1: cy - 4, y2: cy + 4, stroke: "#222" }));
      }
    });
    return g;
  }

  function heatMap(title, models, matrix, counts) {
    const c = 64, L = 130, T = 40, W = L + c * models.length + 10, H = T + c * models.length + 10;
    const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "heatmap",
      "font-family": "sans-serif", "font-size": 11 });
    g.append(svg("text", { x: 4, y: 14, "font-weight": "bold", "font-size": 12 }, title));
    models.forEach((m, j) => g.append(svg("text", { x: L + j * c + c / 2, y: T - 6, "text-anchor": "middle" },
      m.length > 10 ? m.slice(0, 9) + "…" : m)));
    models.forEach((a, i) => {
      g.append(svg("text", { x: L - 6, y: T + i * c + c / 2 + 4, "text-anchor": "end" }, a));
      models.forEach((b, j) => {
        const v = (matrix[a] || {})[b];
        const fill = v == null ? "#f0f0f0" : `hsl(${Math.round(v * 120)},65%,${80 - 25 * Math.abs(v - 0.5)}%)`;
        const n = ((counts || {})[a] || {})[b];
        const cell = svg("rect", { x: L + j * c, y: T + i * c, width: c - 2, height: c - 2, fill, class: "cell",
          "data-a": a, "data-b": b, "data-value": JSON.stringify(v ?? null), "data-n": JSON.stringify(n ?? null) });
        cell.append(svg("title", {}, `${a} vs ${b}: ${v == null ? "no battles" : fmt(v, 3)}` + (n ? ` (${n} battles)` : "")));
        g.append(cell);
        if (v != null) g.append(svg("text", { x: L + j * c + c / 2 - 1, y: T + i * c + c / 2 + 4,
          "text-anchor": "middle" }, fmt(v, 2)));
      });
    });
    return g;
  }

  function radar(title, axes, series) {
    // axes: [name]; series: [{name, values:[0..1]}]
    const R = 120, cx = 200, cy = 170, W = 420, H = 360;
    const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "radar",
      "font-family": "sans-serif", "font-size": 11 });
    g.append(svg("text", { x: 4, y: 14, "font-weight": "bold", "font-size": 12 }, title));
    const pt = (i, r) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / axes.length;
      return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
    };
    for (const f of [0.25, 0.5, 0.75, 1]) g.append(svg("polygon", { points: axes.map((_, i) => pt(i, R * f).join(",")).join(" "),
      fill: "none", stroke: "#ddd" }));
    axes.forEach((name, i) => {
      const [x, y] = pt(i, R), [lx, ly] = pt(i, R + 18);
      g.append(svg("line", { x1: cx, y1: cy, x2: x, y2: y, stroke: "#ddd" }));
      g.append(svg("text", { x: lx, y: ly, "text-anchor": "middle" }, name));
    });
    const colors = ["#5b8def", "#e8743b", "#19a979"];
    series.forEach((s, k) => {
      // a missing value is drawn at the centre; data-values keeps it null
      g.append(svg("polygon", { points: s.values.map((v, i) => pt(i, R * Math.max(0, Math.min(1, v ?? 0))).join(",")).join(" "),
        fill: colors[k % 3], "fill-opacity": 0.25, stroke: colors[k % 3], class: "radar-shape",
        "data-name": s.name, "data-values": JSON.stringify(s.values.map((v) => v ?? null)) },
        svg("title", {}, `${s.name}: ` + axes.map((a, i) => `${a} ${fmt(s.values[i], 3)}`).join(", "))));
      g.append(svg("rect", { x: 4, y: H - 16 - 14 * (series.length - 1 - k), width: 10, height: 10, fill: colors[k % 3] }));
      g.append(svg("text", { x: 18, y: H - 7 - 14 * (series.length - 1 - k) }, s.name));
    });
    g.dataset.r = R; g.dataset.cx = cx; g.dataset.cy = cy;
    return g;
  }

  function dimensionBars(title, axes, series) {
    // fewer than three axes make a radar a line or a point: grouped horizontal bars, 0..1
    const L = 150, W = 560, row = 16, pw = W - L - 60, colors = ["#5b8def", "#e8743b", "#19a979"];
    const group = row * series.length + 8, H = 28 + axes.length * group + 22 + 14 * series.length;
    const X = (v) => L + Math.max(0, Math.min(1, v)) * pw;
    const g = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "chart dim-bars",
      "font-family": "sans-serif", "font-size": 11, role: "img", "aria-label": title });
    g.append(svg("text", { x: 4, y: 14, "font-weight": "bold", "font-size": 12 }, title));
    const bottom = 28 + axes.length * group;
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      g.append(svg("line", { x1: X(t), x2: X(t), y1: 22, y2: bottom, stroke: "#eee" }));
      g.append(svg("text", { x: X(t), y: bottom + 12, "text-anchor": "middle", fill: "#666" }, fmt(t, 2)));
    }
    axes.forEach((axis, i) => {
      const y0 = 26 + i * group;
      g.append(svg("text", { x: L - 6, y: y0 + group / 2, "text-anchor": "end", class: "dim-axis" }, axis));
      series.forEach((s, k) => {
        const v = s.values[i], y = y0 + k * row;
        const bar = svg("rect", { x: L, y: y + 1, width: v == null ? 0 : Math.max(1, X(v) - L), height: row - 4,
          fill: colors[k % 3], class: "dim-bar", "data-name": s.name, "data-axis": axis, "data-value": JSON.stringify(v ?? null) });
        bar.append(svg("title", {}, `${s.name}: ${axis} ${fmt(v, 3)}`));
        g.append(bar);
        g.append(svg("text", { x: (v == null ? L : X(v)) + 4, y: y + row - 5, fill: "#333" }, v == null ? "no score" : fmt(v, 3)));
      });
    });
    series.forEach((s, k) => {
      g.append(svg("rect", { x: 4, y: H - 16 - 14 * (series.length - 1 - k), width: 10, height: 10, fill: colors[k % 3] }));
      g.append(svg("text", { x: 18, y: H - 7 - 14 * (series.length - 1 - k) }, s.name));
    });
    return g;
  }

  // ---- tables --------------------------------------------------------------------------------
  function table(header, rows, cls) {
    return el("table", { class: cls || "" }, el("thead", {}, el("tr", {}, header.map((h) => el("th", { text: h })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => c instanceof Node ? el("td", {}, c)
        : el("td", { class: typeof c === "number" ? "num" : "", text: typeof c === "number" ? fmt(c) : (c ?? "–") }))))));
  }

  function pill(v) { return el("span", { class: `pill ${v || "none"}`, text: v || "n/a" }); }

  // a paged list with filter buttons, search and select filters (opts.extras: [{name, all,
  // values, of(i) -> value or [values], count?: {value: n}}]); items: array of indices
  function browser(root, opts) {
    const extras = opts.extras || (opts.extra ? [Object.assign({ name: "benchmark" }, opts.extra)] : []);
    const state = { filter: "all", query: "", extra: extras.map(() => ""), page: 0, shown: [] };
    const bar = el("div", { class: "bar" });
    const search = el("input", { type: "search", placeholder: opts.placeholder || "search", class: "search" });
    let timer = null;
    search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state.query = search.value.toLowerCase(); state.page = 0; update(); }, 150); });
    bar.append(search);
    const buttons = {};
    for (const f of opts.filters) {
      const b = el("button", { "data-filter": f.key, onclick: () => { state.filter = f.key; state.page = 0; update(); } });
      buttons[f.key] = b; bar.append(b);
    }
    extras.forEach((x, k) => {
      const select = el("select", { class: `extra extra-${x.name}`, onchange: () => { state.extra[k] = select.value; state.page = 0; update(); } },
        el("option", { value: "", text: x.all }), x.values.map((v) => el("option", { value: v, "data-count": x.count ? x.count[v] : "",
          text: x.count ? `${v} (${x.count[v]})` : v })));
      bar.append(select);
    });
    const picked = (i) => extras.every((x, k) => { if (!state.extra[k]) return true;
      const v = x.of(i); return Array.isArray(v) ? v.includes(state.extra[k]) : v === state.extra[k]; });
    const count = el("span", { class: "muted count" });
    bar.append(count);
    const pager = el("div", { class: "pager" });
    const body = el("tbody", { class: "rows" });
    const tbl = el("table", {}, el("thead", {}, el("tr", {}, opts.header.map((h) => el("th", { text: h })))), body);
    const detail = el("div", { class: "detail-host" });
    root.append(bar, detail, pager, tbl);
    function update() {
      const base = opts.items.filter((i) => picked(i) &&
        (!state.query || (opts.match ? opts.match(i, state.query) : opts.text(i).includes(state.query))));
      for (const f of opts.filters) buttons[f.key].textContent = `${f.label} (${base.filter((i) => f.key === "all" || opts.kind(i) === f.key).length})`;
      for (const [k, b] of Object.entries(buttons)) b.classList.toggle("on", k === state.filter);
      state.shown = state.filter === "all" ? base : base.filter((i) => opts.kind(i) === state.filter);
      count.textContent = `${state.shown.length} shown`;
      count.setAttribute("data-count", state.shown.length);
      const pages = Math.max(1, Math.ceil(state.shown.length / PAGE));
      state.page = Math.min(state.page, pages - 1);
      pager.dataset.page = state.page + 1;
      pager.dataset.pages = pages;
      pager.replaceChildren(el("button", { text: "‹ prev", onclick: () => { if (state.page > 0) { state.page--; update(); } } }),
        ` page ${state.page + 1} / ${pages} `,
        el("button", { text: "next ›", onclick: () => { if (state.page < pages - 1) { state.page++; update(); } } }));
      body.replaceChildren(...state.shown.slice(state.page * PAGE, (state.page + 1) * PAGE).map((i) => {
        const tr = el("tr", { "data-id": opts.key(i), onclick: () => detail.replaceChildren(opts.detail(i)) }, opts.row(i).map((c) => c instanceof Node ? el("td", {}, c) : el("td", { text: c ?? "–" })));
        return tr;
      }));
    }
    update();
    return { update, state };
  }

  // ---- sections -------------------------------------------------------------------------------
  function overview(D, root) {
    const names = Object.keys(D.benchmarks).filter((n) => !(D.arena && n === "arena"));  // the arena has its own tab
    if (!names.length) {
      root.append(el("p", { text: "No benchmark results in this run." }));
      if (D.dimensions) dimensionsView(D, root);
      return;
    }
    root.append(el("h2", { text: "Benchmarks" }));
    const gateOf = (name) => (D.meta.gates && D.meta.gates.checks || []).filter((c) => c.gate.split(/[/:]/)[0] === name)
      .map((c) => `${c.passed ? "✓" : "✗"} ${c.gate} ${c.direction} ${c.threshold}`).join("  ");
    root.append(table(["benchmark", "metric", "n", "score", "stderr", "95% CI", "macro (subsets)", "gates"],
      names.map((n) => { const b = D.benchmarks[n]; return [n, b.metric + ((b.lower_is_better || []).includes(b.metric) ? " (lower is better)" : ""), String(b.n), b.score, b.stderr,
        b.ci95 ? `[${fmt(b.ci95[0])}, ${fmt(b.ci95[1])}]` : "–", b.macro_subsets, gateOf(n) || "–"]; }), "bench-table"));
    root.append(el("div", { class: "charts" }, barChart("Score per benchmark (95% CI)",
      names.map((n) => ({ label: n, score: D.benchmarks[n].score, ci: D.benchmarks[n].ci95, n: D.benchmarks[n].n })))));
    // --contamination-corpus: each score split into clean and flagged samples (engine/contamination.py)
    const split = names.filter((n) => D.benchmarks[n].contamination && D.benchmarks[n].contamination.clean);
    if (split.length) {
      const C = D.meta.contamination || {};
      const ci = (s) => (s && s.ci95 ? `[${fmt(s.ci95[0])}, ${fmt(s.ci95[1])}]` : "–");
      root.append(el("h2", { text: `Contamination: clean vs flagged samples (${C.n || ""}-gram overlap with the corpus)` }),
        el("p", { class: "contamination-rule", text: `${C.rule || ""} Corpus: ${((C.corpus || {}).files || []).join(", ")}.` }),
        table(["benchmark", "metric", "clean", "95% CI", "n clean", "flagged", "95% CI", "n flagged", "flagged − clean", "test", "p"],
          split.map((n) => { const c = D.benchmarks[n].contamination; return [n, c.metric, c.clean.score, ci(c.clean), String(c.clean.n),
            c.flagged.score, ci(c.flagged), String(c.flagged.n), c.difference, c.test || "–", c.p_value]; }), "contamination"));
      const ids = split.flatMap((n) => D.benchmarks[n].contamination.flagged_ids || []);
      if (ids.length) root.append(el("details", {}, el("summary", { text: `flagged samples (${ids.length})` }),
        el("ul", { class: "contamination-ids" }, ids.slice(0, 500).map((id) => el("li", { text: id })))));
    }
    for (const n of names) {
      const b = D.benchmarks[n];
      const charts = el("div", { class: "charts" });
      // the engine's interval of the primary metric (Wilson for rates, docs/metrics.md); older files: normal
      const ci = (s) => ((s.metrics || {})[b.metric] || {}).ci95
        || (s.stderr != null && s.score != null ? [s.score - 1.96 * s.stderr, s.score + 1.96 * s.stderr] : null);
      const cats = Object.entries(b.categories || {});
      if (cats.length) charts.append(barChart(`${n}: per category`, cats.map(([k, s]) => ({ label: k, score: s.score, ci: ci(s), n: s.n }))));
      const subs = Object.entries(b.subsets || {});
      if (subs.length > 1) charts.append(barChart(`${n}: per subset`, subs.map(([k, s]) => ({ label: k, score: s.score, ci: ci(s), n: s.n }))));
      if (charts.childNodes.length) root.append(el("h3", { text: n }), charts);
    }
    const fr = D.meta.failed_requirements || [];
    if (fr.length) root.append(el("h3", { text: `Failed requirements (${fr.length}): an assert in a hand-written eval` }),
      table(["sample", "message"], fr.map((f) => [f.id, f.message]), "failed-requirements"));
    const sk = D.meta.skipped || [];
    if (sk.length) root.append(el("h3", { text: "Not scored in this run (never counted as 0)" }),
      table(["benchmark", "subset", "n", "reason"], sk.map((x) => [x.benchmark, x.subset, String(x.n), x.reason]), "skipped"));
    if (D.dimensions) dimensionsView(D, root);
  }

  // one higher-is-better score per evaluation dimension (results.json `dimensions`)
  function dimensionScore(dims, d) {
    if (!dims || !dims[d]) return null;
    if (dims[d].score != null) return dims[d].score;  // as written by the engine
    const vs = Object.values(dims[d].benchmarks || {}).map(memberScore).filter((v) => v != null);
    return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
  }

  // a member's "behaves well" score (its module's formula); older files: the headline, oriented
  function memberScore(b) {
    return b.dimension_score ?? b.oriented_score ?? (b.score == null ? null : (b.lower_is_better ? 1 - b.score : b.score));
  }

  function dimensionsView(D, root) {
    const base = D.compare && D.compare.dimensions;
    const axes = [...new Set([...Object.keys(D.dimensions), ...Object.keys(base || {})])];
    const series = [{ name: D.meta.model || "this run", values: axes.map((d) => dimensionScore(D.dimensions, d)) }];
    if (base) series.unshift({ name: `baseline: ${D.compare.baseline_model || D.compare.baseline_path}`, values: axes.map((d) => dimensionScore(base, d)) });
    root.append(el("h2", { text: "Evaluation dimensions" }), el("div", { class: "charts" },
      (axes.length >= 3 ? radar : dimensionBars)("Dimensions (higher is better: each benchmark's behaves-well score)", axes, series)));
    if (base) root.append(table(["dimension", "baseline", "this run", "Δ"], axes.map((d) => {
      const o = dimensionScore(base, d), n = dimensionScore(D.dimensions, d);
      return [d, o, n, o == null || n == null ? "–" : (n - o >= 0 ? "+" : "") + fmt(n - o)]; }), "dim-compare"));
    root.append(table(["dimension", "dimension score", "benchmark", "metric", "score", "lower is better", "benchmark's dimension score", "formula"], axes.flatMap((d) =>
      Object.entries((D.dimensions[d] || {}).benchmarks || {}).map(([b, v]) => [d, dimensionScore(D.dimensions, d), b, v.metric, v.score,
        v.lower_is_better ? "yes" : "no", memberScore(v), v.formula || (v.lower_is_better ? `1 - ${v.metric}` : v.metric)])), "dim-table"));
  }

  function samplesView(D, root) {
    const S = D.samples;
    const n = S.id.length;
    const items = [...Array(n).keys()];
    // a prompt is its subset's shared prefix (stored once) + its own suffix
    const P = D.lists.prefixes, PL = P.map((p) => p.toLowerCase());
    const prompt = (i) => P[S.pp[i]] + S.prompt[i];
    D.prompt = prompt;
    const texts = new Array(n);
    const own = (i) => texts[i] || (texts[i] = `${S.id[i]}\n${S.prompt[i]}\n${S.response[i]}\n${S.target[i]}\n${S.extracted[i]}`.toLowerCase());
    const match = (i, q) => {
      if (own(i).includes(q)) return true;
      const pre = PL[S.pp[i]];
      if (!pre) return false;
      if (pre.includes(q)) return true;
      const k = q.length - 1;  // a match across the prefix/suffix boundary
      return k > 0 && (pre.slice(-k) + S.prompt[i].slice(0, k).toLowerCase()).includes(q);
    };
    root.append(el("h2", { text: `Samples (${n})` }));
    browser(root, {
      items, placeholder: "search id, prompt, response, target", key: (i) => S.id[i], match,
      kind: (i) => S.v[i],
      filters: [{ key: "all", label: "all" }, { key: "right", label: "right" }, { key: "wrong", label: "wrong" },
        { key: "partial", label: "partial" }, { key: "error", label: "error" }],
      extras: [{ name: "benchmark", all: "all benchmarks", values: D.lists.benchmarks, of: (i) => D.lists.benchmarks[S.b[i]] },
        ...(S.fr.some(Boolean) ? [{ name: "requirement", all: "any requirement outcome", values: ["failed", "held"],
          of: (i) => S.fr[i] ? "failed" : "held" }] : [])],
      header: ["id", "verdict", "score", "extracted", "target"],
      row: (i) => [S.id[i], el("span", {}, pill(S.v[i]), S.fr[i] ? requirementPill() : null), S.score[i] == null ? "–" : fmt(S.score[i], 3), S.extracted[i], S.target[i]],
      detail: (i) => el("div", { class: "sample-detail" },
        el("h3", {}, `${S.id[i]} `, pill(S.v[i]), el("span", { class: "muted", text: `  ${D.lists.categories[S.c[i]] || ""}  scores: ${S.scores[i]}` })),
        S.fr[i] ? el("p", { class: "wrong failed-requirement", text: `failed requirement: ${S.fr[i]}` }) : null,
        el("div", { class: "detail" },
          el("div", {}, el("h4", { text: "prompt" }), el("pre", { class: "prompt", text: prompt(i) })),
          el("div", {}, el("h4", { text: S.v[i] === "error" ? "error" : "response" }), el("pre", { class: "response", text: S.response[i] }),
            el("h4", { text: "extracted answer" }), el("pre", { class: "extracted", text: S.extracted[i] })),
          el("div", {}, el("h4", { text: "target" }), el("pre", { class: "target", text: S.target[i] }))),
        S.judgments && S.judgments[i] ? judgeMetricDetail(S.judgments[i]) : null,
        S.tools && S.tools[i] ? toolCallsDetail(S.tools[i]) : null),
    });
  }

  function requirementPill() { return el("span", { class: "pill wrong requirement", text: "requirement failed" }); }

  function toolCallsDetail(text) {
    // a tool-use sample (bfcl): the calls made beside the calls expected, and why it failed
    const t = JSON.parse(text);
    const show = (v) => v == null ? "(no calls)" : JSON.stringify(v, null, 2);
    return el("div", { class: "tool-calls" },
      t.error_type ? el("p", { class: "wrong tool-error", text: `failed: ${t.error_type}${t.error ? ` — ${t.error}` : ""}` }) : null,
      el("div", { class: "detail" },
        el("div", {}, el("h4", { text: "calls made" }), el("pre", { class: "calls", text: show(t.calls) })),
        el("div", {}, el("h4", { text: "calls expected" }), el("pre", { class: "expected-calls", text: show(t.expected) }))));
  }

  function judgeMetricDetail(text) {
    // a judge metric's calls (samples.jsonl `judgments`): prompt, reply, verdict
    const js = JSON.parse(text);
    return el("div", { class: "judgments" }, js.map((j) => el("div", { class: "detail" },
      el("div", {}, el("h4", { text: `judge ${j.judge ?? ""} prompt` }), el("pre", { text: j.prompt ?? "" })),
      el("div", {}, el("h4", { text: "judge reply" }), el("pre", { text: j.response ?? "" })),
      el("div", {}, el("h4", { text: "verdict" }), el("pre", { class: j.parse_error ? "error" : "",
        text: j.parse_error ? `parse failure: ${j.parse_error}` : JSON.stringify(j.verdict) })))));
  }

  function compareView(D, root) {
    const C = D.compare;
    root.append(el("h2", { text: `Compared with ${C.baseline_model} (${C.baseline_path})` }));
    root.append(table(["benchmark", "metric", "baseline", "this run", "Δ", "paired test", "n paired", "p-value", "α", "verdict"],
      Object.entries(C.benchmarks).map(([b, t]) => [b, t.metric, t.baseline_score, t.score,
        t.delta == null ? "–" : (t.delta >= 0 ? "+" : "") + fmt(t.delta), t.test || "–", t.n_paired == null ? "–" : String(t.n_paired),
        t.p_value == null ? "–" : Number(t.p_value).toPrecision(3), t.alpha == null ? "–" : String(t.alpha),
        t.contamination_gap ? (t.significant_drop ? "✗ significant contamination gap" : "✓ no significant contamination gap")
          : (t.significant_drop ? "✗ significant drop" : (t.test ? "✓ no significant drop" : "–"))]), "compare-table"));
    // a variant run against its original run: the contamination gap (benchgate.variants.gap)
    const gaps = Object.entries(C.benchmarks).filter(([, t]) => t.contamination_gap);
    if (gaps.length) {
      root.append(el("h3", { text: "Contamination gap (variant run against the original run)" }));
      root.append(table(["benchmark", "variant", "metric", "original", "variant score", "contamination gap", "95% CI", "paired test", "p-value", "n paired", "verdict"],
        gaps.map(([b, t]) => { const g = t.contamination_gap; const sg = (x) => (x >= 0 ? "+" : "") + fmt(x);
          return [b, g.variant, g.metric, g.original, g.variant_score, sg(g.gap), `[${sg(g.ci95[0])}, ${sg(g.ci95[1])}]`, g.test,
            Number(g.p_value).toPrecision(3), String(g.n_paired), g.flagged ? `✗ flagged (significant at ${g.alpha})` : `✓ not flagged (α = ${g.alpha})`]; }),
        "gap-table"));
    }
    const ch = C.changed;
    root.append(el("h3", { text: `Samples that changed (${ch.length})` }));
    browser(root, {
      items: [...ch.keys()], placeholder: "search id", key: (i) => ch[i].id, text: (i) => ch[i].id.toLowerCase(),
      kind: (i) => ch[i].change,
      filters: [{ key: "all", label: "all" }, { key: "right→wrong", label: "right→wrong" }, { key: "wrong→right", label: "wrong→right" },
        { key: "worse", label: "worse" }, { key: "better", label: "better" }],
      header: ["id", "change", "baseline", "this run"],
      row: (i) => [ch[i].id, ch[i].change, fmt(ch[i].old, 3), fmt(ch[i].new, 3)],
      detail: (i) => {
        const j = D.index[ch[i].id];
        const S = D.samples;
        return el("div", { class: "detail" },
          el("div", {}, el("h4", { text: "prompt" }), el("pre", { text: j == null ? "" : D.prompt(j) })),
          el("div", {}, el("h4", { text: "baseline response" }), el("pre", { text: ch[i].old_response ?? "" }),
            el("h4", { text: "this run's response" }), el("pre", { text: j == null ? "" : S.response[j] })),
          el("div", {}, el("h4", { text: "target" }), el("pre", { text: j == null ? "" : S.target[j] })));
      },
    });
  }

  // ---- arena ---------------------------------------------------------------------------------
  // number cells keep the exact value in data-value (JSON), so a test can compare them with
  // results.json; the text is rounded for reading
  function numCell(key, v, d) {
    return el("td", { class: "num", "data-key": key, "data-value": JSON.stringify(v ?? null),
      text: v == null ? "–" : (Number.isInteger(v) && d == null ? String(v) : fmt(v, d ?? 3)) });
  }
  function rangeCell(key, ci, d) {
    return el("td", { class: "num", "data-key": key, "data-value": JSON.stringify(ci ?? null),
      text: ci && ci[0] != null ? `[${fmt(ci[0], d)}, ${fmt(ci[1], d)}]` : "–" });
  }

  function arenaBoard(A, rows) {
    // one column set per mode: single = ratings; pairwise = Elo, Bradley-Terry, W/L/T; with a
    // baseline also the win rates against it
    const single = A.mode === "single";
    const turns = single ? [...new Set(rows.flatMap((r) => Object.keys(r.turns || {})))].sort() : [];
    const base = !single && rows.some((r) => r.is_baseline || r.win_rate_vs_baseline != null);
    const cols = [["rank", "rank"], ["model", "model"]];
    if (single) {
      cols.push(["score", "mean rating"], ["score_ci95", "95% CI"], ...turns.map((t) => [`turn ${t}`, `turn ${t}`]), ["battles", "ratings"]);
    } else {
      cols.push(["elo", "Elo"], ["bt_rating", "Bradley-Terry"], ["bt_ci95", "BT 95% CI"]);
      if (base) cols.push(["win_rate_vs_baseline", "predicted win rate vs baseline"], ["win_rate_vs_baseline_ci95", "95% CI"],
        ["win_rate_ties_half", "win rate vs baseline (ties half)"], ["win_rate_ties_half_ci95", "95% CI"]);
      cols.push(["win", "win"], ["loss", "loss"], ["tie", "tie"], ["battles", "battles"],
        ["win_rate_adjusted", "adjusted win rate"], ["win_rate_adjusted_ci95", "95% CI"]);
    }
    const body = rows.map((r, k) => el("tr", { "data-model": r.model }, cols.map(([key]) => {
      if (key === "rank") return el("td", { text: String(k + 1) });
      if (key === "model") return el("td", { "data-key": "model" }, r.model, r.is_baseline ? el("span", { class: "pill none", text: "baseline" }) : null);
      if (key.startsWith("turn ")) return numCell(key, (r.turns || {})[key.slice(5)], 2);
      if (key.endsWith("ci95")) return rangeCell(key, r[key], key.startsWith("bt") || key.startsWith("score") ? (key.startsWith("bt") ? 1 : 2) : 3);
      const d = { elo: 1, bt_rating: 1, score: 2 }[key];
      return numCell(key, r[key], ["win", "loss", "tie", "battles"].includes(key) ? null : d);
    })));
    return el("table", { class: "arena-table" }, el("thead", {}, el("tr", {}, cols.map(([k, label]) => el("th", { "data-key": k, text: label })))),
      el("tbody", {}, body));
  }

  function arenaView(D, root) {
    const A = D.arena, single = A.mode === "single", C = A.counts || {};
    root.append(el("h2", { text: `Arena: ${A.mode}${A.dry_run ? " (dry run)" : ""}` }));
    if (A.dry_run) root.append(el("p", { class: "muted", text: "Dry run: no judge was called; the verdicts are seeded random draws (some malformed on purpose)." }));
    const judges = (A.judges || []).map((j) => `${j.name} (${j.kind}${(j.templates || []).length ? ": " + j.templates.join(", ") : ""})`).join("; ");
    const judge = D.judge ? [D.judge.name, D.judge.model, D.judge.api_url].filter(Boolean).join(" · ") : null;
    root.append(table(["run", ""], [["models", (A.models || []).join(", ")], ["baseline model", A.baseline_model || "–"],
      ["judges", judges || "–"], ...(judge ? [["judge model", judge]] : []),
      ["position bias mitigation", single ? "– (single answers)" : (A.position_bias_mitigation || "none")],
      ["swap rule", A.swap_rule || "–"], ["units (tests)", String(C.units ?? "–")], ["judgments", String(C.judgments ?? "–")],
      [single ? "ratings" : "battles", String((single ? C.scores : C.battles) ?? "–")],
      ["parse failures (left out of every rating)", String(C.parse_failures ?? 0)]], "arena-facts"));
    for (const note of A.notes || []) root.append(el("p", { class: "muted note", text: `note: ${note}` }));
    const gates = ((D.meta.gates || {}).checks || []).filter((c) => c.gate.split(/[/:]/)[0] === "arena");
    if (gates.length) root.append(table(["gate", "", "threshold", "value", "verdict"], gates.map((c) => [c.gate, c.direction,
      String(c.threshold), c.score, c.passed ? "✓ passed" : "✗ failed"]), "arena-gates"));

    const cats = Object.keys(A.leaderboard || {});
    const lbHost = el("div", { class: "leaderboard" });
    const label = (c) => c === "*" ? "all categories" : c;
    const pick = el("select", { class: "lb-category", onchange: () => lbHost.replaceChildren(arenaBoard(A, A.leaderboard[pick.value] || [])) },
      cats.map((c) => el("option", { value: c, text: label(c) })));
    root.append(el("h3", { text: "Leaderboard" }), el("div", { class: "bar" }, "category ", pick), lbHost);
    lbHost.append(arenaBoard(A, A.leaderboard[cats[0]] || []));

    const M = A.matrices || {};
    if (M.win_rate) {
      const models = A.models && A.models.length ? A.models : Object.keys(M.win_rate);
      root.append(el("h3", { text: "Win rate (row beats column; ties count half)" }), heatMap("win rate matrix", models, M.win_rate, M.battles));
    }
    if (A.bias) root.append(el("h3", { text: "Judge bias" }), table(["check", "value"], Object.entries(A.bias).map(([k, v]) =>
      [k.replace(/_/g, " "), v == null ? "–" : (Number.isInteger(v) ? String(v) : fmt(v, 3))]), "arena-bias"));
    if (A.agreement && (A.agreement.pairs || []).length) root.append(el("h3", { text: "Agreement between judges" }),
      table(["judge A", "judge B", "n", "agreement", "Cohen's kappa"], A.agreement.pairs.map((p) => [p.judge_a, p.judge_b, String(p.n), p.agreement, p.cohen_kappa]), "arena-agreement"));
    if (A.peer && A.peer.weights) root.append(el("h3", { text: `Peer Rank weights (${A.peer.iterations} iterations)` }),
      table(["judge", "weight"], Object.entries(A.peer.weights).map(([k, v]) => [k, v]), "arena-peer"));
    battleBrowser(D, A, root);
  }

  function battleBrowser(D, A, root) {
    const R = A.reviews || [], U = A.units || {}, single = A.mode === "single";
    const failed = (r) => single ? r.score == null : r.win == null;  // a verdict that did not parse
    const kind = (r) => failed(r) ? "parse failure" : single ? "rated" : (String(r.win).startsWith("tie") ? "tie" : "decided");
    const rcat = (i) => R[i].display_category || R[i].category || "";
    const models = (i) => single ? [R[i].model] : [R[i].model_a, R[i].model_b];
    const winner = (r) => failed(r) ? el("span", { class: "pill error", text: "parse failure" })
      : String(r.win).startsWith("tie") ? "tie" : r.win === "model_a" ? r.model_a : r.win === "model_b" ? r.model_b : String(r.win);
    const counted = (values) => { const n = {}; for (const v of values) n[v] = (n[v] || 0) + 1; return n; };
    const catCount = counted(R.map((_, i) => rcat(i)));
    root.append(el("h3", { text: `Judgments (${R.length})` }));
    const filters = [{ key: "all", label: "all" }, ...(single ? [{ key: "rated", label: "rated" }]
      : [{ key: "decided", label: "decided" }, { key: "tie", label: "tie" }]), { key: "parse failure", label: "parse failure" }];
    browser(root, {
      items: [...R.keys()], placeholder: "search question, answers, judge output, model",
      key: (i) => [R[i].id, R[i].turn ?? "", R[i].order ?? "", R[i].judge ?? ""].join("|"),
      text: (i) => [R[i].id, R[i].question, R[i].output_a, R[i].output_b, R[i].output, R[i].judge_output, ...models(i)].join("\n").toLowerCase(),
      kind: (i) => kind(R[i]), filters,
      extras: [{ name: "category", all: "all categories", values: Object.keys(catCount).sort(), of: rcat, count: catCount },
        { name: "model", all: "all models", values: [...new Set(R.flatMap((_, i) => models(i)))].sort(), of: models }],
      header: single ? ["question", "turn", "category", "model", "rating", "judge"]
        : ["question", "turn", "category", "shown first (A)", "shown second (B)", "winner", "order", "judge"],
      row: (i) => { const r = R[i];
        return single ? [String(r.question_id), String(r.turn ?? "–"), rcat(i), r.model, failed(r) ? winner(r) : fmt(r.score, 1), r.judge ?? "–"]
          : [String(r.question_id), String(r.turn ?? "–"), rcat(i), r.model_a, r.model_b, winner(r), r.order ?? "–", r.judge ?? "–"]; },
      detail: (i) => judgmentDetail(R[i], U[R[i].id], single, failed(R[i])),
    });
  }

  function judgmentDetail(r, unit, single, failed) {
    // earlier turns of a multi-turn question (the judge saw the whole conversation)
    const turn = r.turn || 1;
    const earlier = [];
    if (unit && turn > 1) for (let t = 1; t < turn; t++) {
      earlier.push(`[turn ${t}] ${(unit.question || [])[t - 1] ?? ""}`);
      for (const m of single ? [r.model] : [r.model_a, r.model_b]) earlier.push(`  ${m}: ${((unit.answers || {})[m] || [])[t - 1] ?? ""}`);
    }
    const verdict = failed ? `parse failure: ${r.parse_error || "no verdict"}` : single ? `rating ${r.score}` : `${r.verdict} → ${r.win}`;
    const judgeBox = el("div", {}, el("h4", { text: `judge ${r.judge ?? ""} (${r.template || "template ?"}${r.order ? ", order " + r.order : ""})` }),
      el("pre", { class: "judge-output", text: r.judge_output ?? "" }), el("h4", { text: "verdict" }),
      el("pre", { class: failed ? "verdict error" : "verdict", text: verdict }));
    const question = el("div", {}, ...(earlier.length ? [el("h4", { text: "earlier turns" }), el("pre", { class: "earlier", text: earlier.join("\n") })] : []),
      el("h4", { text: `question ${r.question_id}, turn ${turn}` }), el("pre", { class: "question", text: r.question ?? "" }));
    const answers = single ? el("div", {}, el("h4", { text: `answer: ${r.model}` }), el("pre", { class: "answer-a", text: r.output ?? "" }))
      : el("div", {}, el("h4", { text: `A (shown first): ${r.model_a}` }), el("pre", { class: "answer-a", text: r.output_a ?? "" }),
        el("h4", { text: `B (shown second): ${r.model_b}` }), el("pre", { class: "answer-b", text: r.output_b ?? "" }));
    return el("div", { class: "detail judgment-detail" }, question, answers, judgeBox);
  }

  function judgesView(D, root) {
    // judge benchmarks (reports/judge_eval.py): how the judge under test agrees with the gold
    for (const J of D.judges) {
      const box = el("div", { class: "judge-eval", "data-benchmark": J.benchmark });
      box.append(el("h2", { text: `${J.benchmark}: the judge against the gold (${J.n} pairs)` }));
      const C = J.confusion;
      box.append(el("h3", { text: "Confusion matrix (rows: gold, columns: the judge's verdict)" }),
        table(["gold \\ verdict", ...C.predicted], C.gold.map((g, i) => [g, ...C.counts[i].map(String)]), "judge-confusion"));
      const ci = (m) => (m && m.ci95 ? `${fmt(m.ci95[0])} – ${fmt(m.ci95[1])}` : "–");
      const accRows = (rows) => rows.map((r) => [r.name, String(r.n), r.acc ? r.acc.score : null, ci(r.acc),
        r.acc_both ? r.acc_both.score : null, r.macro_subsets ?? null]);
      const head = ["", "n", "accuracy", "95% CI", "both orders right", "mean of its sets"];
      box.append(el("h3", { text: "Accuracy per set" }), table(head, accRows(J.subsets), "judge-acc-subsets"));
      if (J.categories.length) box.append(el("h3", { text: "Accuracy per category" }), table(head, accRows(J.categories), "judge-acc-categories"));
      const names = { first_position: "chose the answer shown first", longer_preferred: "chose the longer answer",
        first_position_gold: "people chose the answer shown first", longer_preferred_gold: "people chose the longer answer",
        agreement: "same verdict in both orders", parse_failure: "verdicts that did not parse" };
      box.append(el("h3", { text: "Position and length bias on these labelled pairs" }),
        table(["", "share", "95% CI"], Object.entries(J.bias).map(([k, m]) => [names[k] || k, m.score, ci(m)]), "judge-bias"));
      if (J.members.length) {
        box.append(el("h3", { text: "Panel: members side by side" }),
          table(["judge", "accuracy", "95% CI", "unparsed verdicts"],
            [...J.members.map((m) => [m.name, m.acc, ci(m), m.parse_failure]),
             ["panel (majority vote)", J.overall.score, ci(J.overall), J.bias.parse_failure ? J.bias.parse_failure.score : null]], "judge-members"));
      }
      if (Object.keys(J.corpus).length) box.append(table(["metric", "value"], Object.entries(J.corpus).map(([k, v]) => [k, v]), "judge-corpus"));
      box.append(el("h3", { text: `Verdicts that did not parse: ${J.failures_total}` }),
        el("ul", { class: "judge-failures" }, J.failures.map((id) => el("li", { text: id }))));
      root.append(box);
    }
  }

  function perfView(D, root) {
    const P = D.perf;
    root.append(el("h2", { text: "Serving stress test" }));
    const runs = (P.summary.runs || []);
    root.append(table(["concurrency", "requests", "req/s", "output tok/s", "avg latency (s)", "avg TTFT (s)", "avg TPOT (s)", "failed"],
      runs.map((r) => { const s = r.summary || {}; return [String(r.parallel), String(r.number), s["Request throughput (req/s)"],
        s["Output token throughput (tok/s)"], s["Average latency (s)"], s["Average time to first token (s)"], s["Average time per output token (s)"], String(s["Failed requests"] ?? "–")]; }), "perf-table"));
    if (P.html) {
      const frame = el("iframe", { class: "perf", sandbox: "", title: "perf report" });
      frame.srcdoc = P.html;
      root.append(el("h3", { text: "Perf report" }), frame);
    }
  }

  async function main() {
    const D = await decode();
    D.index = {};
    D.samples.id.forEach((id, i) => { D.index[id] = i; });
    const M = D.meta;
    document.title = `benchgate: ${M.model}`;
    $("#title").textContent = `benchgate report — ${M.model}`;
    $("#meta").textContent = [`status: ${M.status}`, `created ${M.created}`, `benchgate ${M.benchgate_version}`,
      M.timings && M.timings.samples != null ? `${M.timings.samples} samples` : null, M.seed != null ? `seed ${M.seed}` : null].filter(Boolean).join(" · ");
    // why the run did not pass: failed gates (name, value, threshold), errors (results.json)
    if ((M.status_reasons || []).length) $("#meta").after(el("ul", { class: "status-reasons", id: "status-reasons" },
      ...M.status_reasons.map((r) => el("li", { text: r }))));
    // an arena-only run has no benchmark or sample tabs (its units are in the arena's battle browser)
    const tabs = [];
    const benchmarks = Object.keys(D.benchmarks).filter((n) => !(D.arena && n === "arena"));
    if (benchmarks.length || D.dimensions || !D.arena) tabs.push(["overview", "Overview", overview]);
    if (D.samples.id.length || !D.arena) tabs.push(["samples", "Samples", samplesView]);
    if (D.compare) tabs.push(["compare", "Compare", compareView]);
    if (D.arena) tabs.push(["arena", "Arena", arenaView]);
    if (D.judges) tabs.push(["judges", "Judges", judgesView]);
    if (D.perf) tabs.push(["perf", "Perf", perfView]);
    const nav = $("nav"), main = $("main");
    for (const [key, label, render] of tabs) {
      const sec = el("section", { id: `sec-${key}` });
      render(D, sec);
      main.append(sec);
      nav.append(el("button", { "data-tab": key, text: label, onclick: () => show(key) }));
    }
    function show(key) {
      for (const s of main.querySelectorAll("section")) s.classList.toggle("on", s.id === `sec-${key}`);
      for (const b of nav.querySelectorAll("button")) b.classList.toggle("on", b.dataset.tab === key);
    }
    show(tabs[0][0]);
    mark("render");
    document.body.setAttribute("data-ready-ms", String(performance.now()));
    document.body.setAttribute("data-marks", JSON.stringify(marks));
    document.body.setAttribute("data-ready", "1");
  }
  main().catch((e) => { document.body.setAttribute("data-error", String(e)); document.body.prepend(el("pre", { class: "error", text: String(e.stack || e) })); });
})();
