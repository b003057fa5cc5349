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
        const cell = svg("rect", { x: L + j * c, y: T + i * c, width: c - 2, height: c - 2, fill, class: "cell" });
        const n = ((counts || {})[a] || {})[b];
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
      g.append(svg("polygon", { points: s.values.map((v, i) => pt(i, R * Math.max(0, Math.min(1, v ?? 0))).join(",")).join(" "),
        fill: colors[k % 3], "fill-opacity": 0.25, stroke: colors[k % 3], class: "radar-shape" }));
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

  // a paged list with filter buttons + search; items: array of indices
  function browser(root, opts) {
    const state = { filter: "all", query: "", extra: "", page: 0, shown: [] };
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
    let select = null;
    if (opts.extra) {
      select = el("select", { class: "extra", onchange: () => { state.extra = select.value; state.page = 0; update(); } },
        el("option", { value: "", text: opts.extra.all }), opts.extra.values.map((v) => el("option", { value: v, text: v })));
      bar.append(select);
    }
    const count = el("span", { class: "muted count" });
    bar.append(count);
    const pager = el("div", { class: "pager" });
    const body = el("tbody", { class: "rows" });
    const tbl = el("table", {}, el("thead", {}, el("tr", {}, opts.header.map((h) => el("th", { text: h })))), body);
    const detail = el("div", { class: "detail-host" });
    root.append(bar, detail, pager, tbl);
    function update() {
      const base = opts.items.filter((i) => (!state.extra || opts.extra.of(i) === state.extra) &&
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
    const names = Object.keys(D.benchmarks);
    if (!names.length) { root.append(el("p", { text: "No benchmark results in this run." })); return; }
    root.append(el("h2", { text: "Benchmarks" }));
    const gateOf = (name) => (D.meta.gates && D.meta.gates.checks || []).filter((c) => c.gate.split(/[/:]/)[0] === name)
      .map((c) => `${c.passed ? "✅" : "❌"} ${c.gate} ${c.direction} ${c.threshold}`).join("  ");
    root.append(table(["benchmark", "metric", "n", "score", "stderr", "95% CI", "macro (subsets)", "gates"],
      names.map((n) => { const b = D.benchmarks[n]; return [n, b.metric, String(b.n), b.score, b.stderr,
        b.ci95 ? `[${fmt(b.ci95[0])}, ${fmt(b.ci95[1])}]` : "–", b.macro_subsets, gateOf(n) || "–"]; }), "bench-table"));
    root.append(el("div", { class: "charts" }, barChart("Score per benchmark (95% CI)",
      names.map((n) => ({ label: n, score: D.benchmarks[n].score, ci: D.benchmarks[n].ci95, n: D.benchmarks[n].n })))));
    for (const n of names) {
      const b = D.benchmarks[n];
      const charts = el("div", { class: "charts" });
      const ci = (s) => s.stderr != null && s.score != null ? [s.score - 1.96 * s.stderr, s.score + 1.96 * s.stderr] : null;
      const cats = Object.entries(b.categories || {});
      if (cats.length) charts.append(barChart(`${n}: per category`, cats.map(([k, s]) => ({ label: k, score: s.score, ci: ci(s), n: s.n }))));
      const subs = Object.entries(b.subsets || {});
      if (subs.length > 1) charts.append(barChart(`${n}: per subset`, subs.map(([k, s]) => ({ label: k, score: s.score, ci: ci(s), n: s.n }))));
      if (charts.childNodes.length) root.append(el("h3", { text: n }), charts);
    }
    if (D.dimensions) {
      const axes = Object.keys(D.dimensions);
      const value = (d) => { if (D.dimensions[d].score != null) return D.dimensions[d].score;  // as written by the engine
        const bs = Object.values(D.dimensions[d].benchmarks || {});
        const vs = bs.map((b) => b.score == null ? null : (b.lower_is_better ? 1 - b.score : b.score)).filter((v) => v != null);
        return vs.length ? vs.reduce((a, b) => a + b, 0) / vs.length : null; };
      root.append(el("h2", { text: "Evaluation dimensions" }), el("div", { class: "charts" },
        radar("Dimensions (higher is better; lower-is-better scores shown as 1 − score)", axes, [{ name: D.meta.model, values: axes.map(value) }])),
      table(["dimension", "benchmark", "metric", "score", "lower is better"], axes.flatMap((d) =>
        Object.entries(D.dimensions[d].benchmarks || {}).map(([b, v]) => [d, b, v.metric, v.score, v.lower_is_better ? "yes" : "no"])), "dim-table"));
    }
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
      extra: { all: "all benchmarks", values: D.lists.benchmarks, of: (i) => D.lists.benchmarks[S.b[i]] },
      header: ["id", "verdict", "score", "extracted", "target"],
      row: (i) => [S.id[i], pill(S.v[i]), S.score[i] == null ? "–" : fmt(S.score[i], 3), S.extracted[i], S.target[i]],
      detail: (i) => el("div", { class: "sample-detail" },
        el("h3", {}, `${S.id[i]} `, pill(S.v[i]), el("span", { class: "muted", text: `  ${D.lists.categories[S.c[i]] || ""}  scores: ${S.scores[i]}` })),
        el("div", { class: "detail" },
          el("div", {}, el("h4", { text: "prompt" }), el("pre", { class: "prompt", text: prompt(i) })),
          el("div", {}, el("h4", { text: S.v[i] === "error" ? "error" : "response" }), el("pre", { class: "response", text: S.response[i] }),
            el("h4", { text: "extracted answer" }), el("pre", { class: "extracted", text: S.extracted[i] })),
          el("div", {}, el("h4", { text: "target" }), el("pre", { class: "target", text: S.target[i] })))),
    });
  }

  function compareView(D, root) {
    const C = D.compare;
    root.append(el("h2", { text: `Compared with ${C.baseline_model} (${C.baseline_path})` }));
    root.append(table(["benchmark", "metric", "baseline", "this run", "Δ", "paired test", "n paired", "p-value", "α", "verdict"],
      Object.entries(C.benchmarks).map(([b, t]) => [b, t.metric, t.baseline_score, t.score,
        t.delta == null ? "–" : (t.delta >= 0 ? "+" : "") + fmt(t.delta), t.test || "–", t.n_paired == null ? "–" : String(t.n_paired),
        t.p_value == null ? "–" : Number(t.p_value).toPrecision(3), t.alpha == null ? "–" : String(t.alpha),
        t.significant_drop ? "❌ significant drop" : (t.test ? "✅ no significant drop" : "–")]), "compare-table"));
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

  function arenaView(D, root) {
    const A = D.arena;
    root.append(el("h2", { text: `Arena (${A.mode}), judges: ${(A.judges || []).map((j) => j.name).join(", ")}` }));
    const cats = Object.keys(A.leaderboard || {});
    const lbHost = el("div", { class: "leaderboard" });
    const pick = el("select", { class: "lb-category", onchange: () => showBoard(pick.value) }, cats.map((c) => el("option", { value: c, text: c === "*" ? "all categories" : c })));
    const showBoard = (cat) => lbHost.replaceChildren(table(["rank", "model", "Elo", "BT rating", "BT 95% CI", "win rate vs baseline", "win", "loss", "tie", "adjusted win rate", "battles", "score"],
      (A.leaderboard[cat] || []).map((r, k) => [String(k + 1), r.model, r.elo, r.bt_rating, r.bt_ci95 ? `[${fmt(r.bt_ci95[0], 1)}, ${fmt(r.bt_ci95[1], 1)}]` : "–",
        r.win_rate_vs_baseline, r.win == null ? "–" : String(r.win), r.loss == null ? "–" : String(r.loss), r.tie == null ? "–" : String(r.tie),
        r.win_rate_adjusted, r.battles == null ? "–" : String(r.battles), r.score]), "arena-table"));
    root.append(el("div", { class: "bar" }, "leaderboard for ", pick), lbHost);
    showBoard(cats[0]);
    const wr = (A.matrices || {}).win_rate;
    if (wr) {
      const models = A.models && A.models.length ? A.models : Object.keys(wr);
      root.append(el("h3", { text: "Win rate (row beats column)" }), heatMap("win rate matrix", models, wr, (A.matrices || {}).battles));
    }
    if (A.bias) root.append(el("h3", { text: "Judge bias" }), table(["check", "value"], Object.entries(A.bias).map(([k, v]) => [k, v])));
    const R = A.reviews || [];
    const rcat = (i) => R[i].display_category || R[i].category || "";
    root.append(el("h3", { text: `Battles (${R.length} judgments)` }));
    browser(root, {
      items: [...R.keys()], placeholder: "search question or answers", key: (i) => R[i].id || String(i),
      text: (i) => `${R[i].question}\n${R[i].output_a}\n${R[i].output_b}`.toLowerCase(),
      kind: (i) => R[i].win === "tie" || String(R[i].win).startsWith("tie") ? "tie" : "decided",
      filters: [{ key: "all", label: "all" }, { key: "decided", label: "decided" }, { key: "tie", label: "tie" }],
      extra: { all: "all categories", values: [...new Set(R.map((_, i) => rcat(i)))].sort(), of: rcat },
      header: ["question", "category", "model A", "model B", "winner", "order", "judge"],
      row: (i) => [String(R[i].question_id), rcat(i), R[i].model_a ?? R[i].model, R[i].model_b ?? "–", R[i].win ?? String(R[i].score ?? "–"), R[i].order ?? "–", R[i].judge ?? "–"],
      detail: (i) => el("div", { class: "detail" },
        el("div", {}, el("h4", { text: "question" }), el("pre", { text: R[i].question ?? "" }),
          el("h4", { text: "judge output" }), el("pre", { text: R[i].judge_output ?? "" })),
        el("div", {}, el("h4", { text: `A: ${R[i].model_a ?? R[i].model}` }), el("pre", { text: R[i].output_a ?? "" })),
        el("div", {}, el("h4", { text: `B: ${R[i].model_b ?? ""}` }), el("pre", { text: R[i].output_b ?? "" }))),
    });
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
    const tabs = [["overview", "Overview", overview], ["samples", "Samples", samplesView]];
    if (D.compare) tabs.push(["compare", "Compare", compareView]);
    if (D.arena) tabs.push(["arena", "Arena", arenaView]);
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
    show("overview");
    mark("render");
    document.body.setAttribute("data-ready-ms", String(performance.now()));
    document.body.setAttribute("data-marks", JSON.stringify(marks));
    document.body.setAttribute("data-ready", "1");
  }
  main().catch((e) => { document.body.setAttribute("data-error", String(e)); document.body.prepend(el("pre", { class: "error", text: String(e.stack || e) })); });
})();
