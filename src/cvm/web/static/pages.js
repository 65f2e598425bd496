// cvm dashboard: one function per page, each drawing from the REST API.
"use strict";
(function () {
  const { boot, t, api, fmt, el, table, chart, baseOption, runMeta, showNoRun, segmentLabel, cellLabel, actionLabel, query } = window.CVM;
  const canExport = boot.role === "analyst" || boot.role === "admin";
  const $ = (id) => document.getElementById(id);

  function kpi(label, value, sub) {
    return el("div", { class: "kpi" }, el("div", { class: "label" }, label),
              el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  function customerLink(id) {
    return el("a", { href: "/customers/" + encodeURIComponent(id), class: "customer-link" }, id);
  }

  // Columns of a customer list, labelled in the page's language.
  function customerColumns(names, rows, masked) {
    const hidden = new Set(masked || []);  // shown as ***: not a sort key for this caller
    if (rows && rows.length) names = names.filter((n) => n === "customer_id" || rows.some((r) => r[n] !== null && r[n] !== undefined));
    if (names.includes("matrix_cell")) names = names.filter((n) => n !== "value_quadrant");  // the cell names it
    const numeric = new Set(["value_rank", "recency_days", "frequency", "monetary_total", "r_score", "f_score",
                             "m_score", "probability_alive", "clv", "potential_value"]);
    return names.filter((n) => n !== "rfm_segment").map((n) => ({
      key: n, label: t("col_" + n), num: numeric.has(n), sort: !hidden.has(n),
      format: n === "customer_id" ? (v) => customerLink(v)
        : n === "abc_class" ? (v) => el("span", { class: "tag " + v }, v)
        : n === "monetary_total" || n === "clv" || n === "potential_value" ? (v) => fmt.money(v)
        : n === "probability_alive" ? (v) => fmt.pct(v)
        : n === "last_purchase" ? (v) => fmt.date(v)
        : n === "lifecycle_stage" || n === "value_quadrant" ? (v) => segmentLabel(v)
        : n === "matrix_cell" ? (v) => cellLabel(v)
        : numeric.has(n) ? (v) => fmt.int(v) : undefined,
    }));
  }

  function exportLinks(node, filters) {
    node.replaceChildren();
    if (!canExport) { node.append(el("span", { class: "note" }, t("export_needs_analyst"))); return; }
    const q = query(Object.assign({}, filters, { lang: boot.lang }));
    node.append(el("a", { href: "/api/v1/export?" + q + "&format=csv", id: "export-csv", download: "" }, t("export_csv")),
                el("a", { href: "/api/v1/export?" + q + "&format=xlsx", id: "export-xlsx", download: "" }, t("export_xlsx")));
  }

  // -- overview ---------------------------------------------------------------------------
  async function overview() {
    let data;
    try { data = await api("/overview"); } catch (e) { showNoRun(e); return; }
    runMeta(data.run_id, data.as_of);
    const p = data.pareto;
    const rule = data.active_rule.kind === "probability_alive"
      ? t("kpi_active_alive", { p: data.active_rule.threshold }) : t("kpi_active_recency", { days: data.active_rule.threshold });
    $("kpis").replaceChildren(
      kpi(t("kpi_customers"), fmt.int(data.customers), data.prospects ? t("prospects_sub", { n: fmt.int(data.prospects) }) : null),
      kpi(t("kpi_revenue"), fmt.compact(data.revenue), fmt.money(data.revenue)),
      kpi(t("kpi_active"), fmt.pct(data.active_share), rule),
      kpi(t("kpi_top", { x: fmt.pct(p.top_share, 0) }), fmt.pct(p.top_value_share, 0), t("kpi_top_note", { g: fmt.num(p.gini, 2) })),
    );
    if (data.amounts_note) $("kpis").after(el("p", { class: "notice", id: "amounts-note" }, data.amounts_note));
    const curve = p.curve.map(([x, y]) => [x, y]);
    const topLabel = t("pareto_line", { x: fmt.pct(p.top_share, 0), y: fmt.pct(p.top_value_share, 0) });
    chart("pareto-chart").setOption(Object.assign({}, baseOption, {
      grid: { left: 56, right: 24, top: 24, bottom: 48 },
      tooltip: { trigger: "axis", valueFormatter: (v) => fmt.pct(v) },
      xAxis: { type: "value", min: 0, max: 1, name: t("pareto_x"), nameLocation: "middle", nameGap: 28,
               axisLabel: { formatter: (v) => fmt.pct(v, 0) } },
      yAxis: { type: "value", min: 0, max: 1, name: t("pareto_y"), axisLabel: { formatter: (v) => fmt.pct(v, 0) } },
      series: [
        { type: "line", name: t("pareto_y"), data: curve, showSymbol: false, lineStyle: { width: 3 }, areaStyle: { opacity: 0.08 },
          markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#d55e00" }, label: { show: false },
                      data: [[{ coord: [p.top_share, 0] }, { coord: [p.top_share, p.top_value_share] }],
                             [{ coord: [0, p.top_value_share] }, { coord: [p.top_share, p.top_value_share] }]] },
          markPoint: { symbol: "circle", symbolSize: 9, itemStyle: { color: "#d55e00" },
                       label: { show: true, formatter: topLabel, position: "right", color: "#d55e00", fontWeight: 600, fontSize: 13, backgroundColor: "rgba(255,255,255,.85)", padding: [2, 4] },
                       data: [{ coord: [p.top_share, p.top_value_share] }] } },
        { type: "line", name: t("equality"), data: [[0, 0], [1, 1]], showSymbol: false, lineStyle: { type: "dotted", color: "#999" } },
      ],
    }));
    const segs = data.segments;
    chart("segments-chart").setOption(Object.assign({}, baseOption, {
      grid: { left: 140, right: 24, top: 30, bottom: 24 },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => fmt.pct(v) },
      xAxis: { type: "value", axisLabel: { formatter: (v) => fmt.pct(v, 0) } },
      yAxis: { type: "category", inverse: true, data: segs.map((s) => s.label) },
      series: [{ type: "bar", name: t("customer_share"), data: segs.map((s) => s.customer_share) },
               { type: "bar", name: t("value_share"), data: segs.map((s) => s.value_share) }],
    }));
    table($("segments-table"), [
      { key: "label", label: t("segment"), format: (v, r) => el("a", { href: "/customers?" + query({ segment: r.segment }) }, v) },
      { key: "customers", label: t("customers"), num: true, format: fmt.int },
      { key: "customer_share", label: t("customer_share"), num: true, format: (v) => fmt.pct(v) },
      { key: "value", label: t("value"), num: true, format: fmt.money },
      { key: "value_share", label: t("value_share"), num: true, format: (v) => fmt.pct(v) },
      { key: "avg_recency_days", label: t("avg_recency"), num: true, format: (v) => fmt.num(v, 0) },
      { key: "avg_frequency", label: t("avg_frequency"), num: true, format: (v) => fmt.num(v, 1) },
    ], segs);
    const alerts = await api("/alerts");
    $("alerts").replaceChildren(...(alerts.length ? alerts.map((a) => el("li", { class: a.level }, a.message))
                                                  : [el("li", {}, t("no_alerts"))]));
  }

  // -- matrix -----------------------------------------------------------------------------
  async function matrix() {
    let data;
    try { data = await api("/matrix"); } catch (e) { showNoRun(e); return; }
    const ov = await api("/overview");
    runMeta(ov.run_id, ov.as_of);
    $("matrix-missing").hidden = data.available;
    const xs = data.x_values, ys = data.y_values;
    const xLabel = (x) => (data.x_labels && data.x_labels[x]) || segmentLabel(x);
    const yLabel = (y) => segmentLabel(y);
    const max = Math.max(1, ...data.cells.map((c) => c.customers));
    const cells = data.cells.map((c) => ({ value: [xs.indexOf(c.x), ys.indexOf(c.y), c.customers], cell: c,
                                           label: { color: c.customers > max * 0.45 ? "#fff" : "#1f2430" } }));
    const heat = chart("matrix-chart");
    heat.setOption(Object.assign({}, baseOption, {
      grid: { left: 200, right: 30, top: 10, bottom: 90 },
      tooltip: { formatter: (p) => { const c = p.data.cell; return `${xLabel(c.x)} · ${yLabel(c.y)}<br>${t("customers")}: ${fmt.int(c.customers)} (${fmt.pct(c.customer_share)})<br>${t("value")}: ${fmt.money(c.value)} (${fmt.pct(c.value_share)})`; } },
      xAxis: { type: "category", data: xs.map(xLabel), splitArea: { show: true }, axisLabel: { interval: 0, rotate: xs.length > 6 ? 30 : 0 } },
      yAxis: { type: "category", data: ys.map(yLabel), inverse: true, splitArea: { show: true }, axisLabel: { width: 190, overflow: "break" } },
      visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 260,
                   inRange: { color: ["#f2f7fc", "#9ecae1", "#2171b5", "#08306b"] } },
      series: [{ type: "heatmap", data: cells, label: { show: true, fontSize: 13, lineHeight: 18, formatter: (p) => `${fmt.int(p.data.cell.customers)}\n${t("of_revenue", { p: fmt.pct(p.data.cell.value_share, 0) })}` },
                 emphasis: { itemStyle: { borderColor: "#d55e00", borderWidth: 2 } }, itemStyle: { borderColor: "#fff", borderWidth: 2 } }],
    }));
    heat.off("click");
    heat.on("click", (p) => showCell(p.data.cell, xLabel, yLabel));
    const plays = (data.playbook || []).filter((r) => r.customers > 0);
    if (plays.length) {
      $("playbook-panel").hidden = false;
      const cols = [{ key: "cell", label: t("cell"), format: (v) => cellLabel(v) },
                    { key: "customers", label: t("customers"), num: true, format: fmt.int },
                    { key: "value_share", label: t("value_share"), num: true, format: (v) => fmt.pct(v) }]
        .concat(["priority", "objective", "actions", "budget"].filter((k) => k in plays[0]).map((k) => ({ key: k, label: t("pb_" + k) })))
        .concat("expected_gain_total" in plays[0] ? [{ key: "expected_gain_total", label: t("pb_expected_gain_total"), num: true, format: fmt.money }] : []);
      table($("playbook-table"), cols, plays);
    }
    window.CVM.matrixCells = data.cells;  // the browser tests pick a cell from here
  }

  async function showCell(cell, xLabel, yLabel) {
    const filters = cell.filters;
    $("cell-title").textContent = `${t("cell_customers")}: ${yLabel(cell.y)} · ${xLabel(cell.x)} (${fmt.int(cell.customers)})`;
    $("cell-hint").hidden = true;
    const page = await api("/customers?" + query(Object.assign({ page_size: 20 }, filters)));
    table($("cell-table"), customerColumns(page.columns, page.rows, page.masked), page.rows);
    exportLinks($("cell-actions"), filters);
    $("cell-actions").prepend(el("a", { href: "/customers?" + query(filters), id: "open-list" }, t("open_list")));
  }
  window.CVM.showCell = showCell;

  // -- lifecycle --------------------------------------------------------------------------
  async function lifecycle() {
    let funnelData;
    try { funnelData = await api("/lifecycle/funnel"); } catch (e) { showNoRun(e); return; }
    const ov = await api("/overview");
    runMeta(ov.run_id, ov.as_of);
    if (!funnelData.available) { $("funnel-missing").hidden = false; $("funnel-chart").hidden = true; }
    else {
      // Stages are states, not the steps of one conversion path: a customer in stability was
      // never "filtered" out of formation, so counts need not fall stage by stage. Bars in stage
      // order show each count at its true length; a funnel of such counts draws hourglasses.
      const stages = funnelData.stages;
      const total = stages.reduce((sum, s) => sum + s.customers, 0) || 1;
      chart("funnel-chart").setOption(Object.assign({}, baseOption, {
        grid: { left: 16, right: 96, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: fmt.int },
        xAxis: { type: "value", axisLabel: { formatter: fmt.compact }, splitNumber: 4 },
        yAxis: { type: "category", inverse: true, axisTick: { show: false },
                 data: stages.map((s) => s.label || segmentLabel(s.stage)) },
        series: [{ type: "bar", name: t("customers"), barMaxWidth: 28, data: stages.map((s) => s.customers),
                   label: { show: true, position: "right", color: "#1f2430",
                            formatter: (p) => `${fmt.int(p.value)} · ${fmt.pct(p.value / total, 0)}` } }],
      }));
    }
    const flows = await api("/lifecycle/flows");
    if (!flows.available) { $("flows-missing").hidden = false; $("flows-chart").hidden = true; return; }
    $("flows-note").textContent = flows.within_run
      ? t("flows_within", { run: flows.within_run, from: fmt.date(flows.from_date), to: fmt.date(flows.to_date) })
      : (flows.by === "lifecycle_stage" ? t("flows_by_stage") : t("flows_by_segment")) + ` #${flows.from_run} → #${flows.to_run}`;
    let labels = {};
    if (flows.by === "rfm_segment") {
      for (const run of [flows.from_run, flows.to_run]) {
        const s = await api("/segments?run_id=" + run);
        for (const row of s.segments) labels[row.segment] = row.label;
      }
    }
    const sides = flows.within_run ? [fmt.date(flows.from_date), fmt.date(flows.to_date)] : ["#" + flows.from_run, "#" + flows.to_run];
    const name = (k, side) => `${labels[k] || segmentLabel(k)} ${side}`;
    // labels face inwards (the earlier side's to the right of its nodes, the later side's to
    // the left), so no label runs past the edge of the canvas however long the stage names are
    const nodes = new Map();
    const links = flows.flows.map((f) => {
      const a = name(f.source, sides[0]), b = name(f.target, sides[1]);
      nodes.set(a, { name: a, label: { position: "right" } });
      nodes.set(b, { name: b, label: { position: "left" } });
      return { source: a, target: b, value: f.customers };
    });
    chart("flows-chart").setOption(Object.assign({}, baseOption, {
      tooltip: { trigger: "item", valueFormatter: fmt.int },
      series: [{ type: "sankey", data: [...nodes.values()], links, nodeAlign: "justify", left: 8, right: 8,
                 emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.35 },
                 label: { fontSize: 11, backgroundColor: "rgba(255,255,255,.7)", padding: [1, 3] } }],
    }));
  }

  // -- CLV --------------------------------------------------------------------------------
  async function clv() {
    let data;
    try { data = await api("/clv"); } catch (e) { showNoRun(e); return; }
    const ov = await api("/overview");
    runMeta(ov.run_id, ov.as_of);
    if (!data.available) { $("clv-missing").hidden = false; return; }
    $("clv-content").hidden = false;
    $("clv-kpis").replaceChildren(kpi(t("clv_total"), fmt.compact(data.stats.total), fmt.money(data.stats.total)),
                                  kpi(t("clv_mean"), fmt.money(data.stats.mean)), kpi(t("clv_median"), fmt.money(data.stats.median)));
    chart("clv-hist").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 20, top: 20, bottom: 40 }, tooltip: { trigger: "axis" },
      // the API's bins start on round numbers (0, 20, 40 …): label each bar with its lower edge
      xAxis: { type: "category", data: data.histogram.map((b) => fmt.compact(b.from)), axisTick: { alignWithLabel: false } },
      yAxis: { type: "value", axisLabel: { formatter: fmt.compact } },
      series: [{ type: "bar", name: t("customers"), data: data.histogram.map((b) => b.customers), barCategoryGap: "5%" }],
    }));
    chart("clv-segments").setOption(Object.assign({}, baseOption, {
      grid: { left: 140, right: 20, top: 10, bottom: 30 }, tooltip: { trigger: "axis", valueFormatter: fmt.money },
      xAxis: { type: "value", axisLabel: { formatter: fmt.compact } },
      yAxis: { type: "category", inverse: true, data: data.by_segment.map((s) => s.segment === null ? t("no_purchase") : (s.label || segmentLabel(s.segment))) },
      series: [{ type: "bar", name: "CLV", data: data.by_segment.map((s) => s.clv) }],
    }));
    const v = await api("/clv/validation");
    if (!v.available) {
      const note = $("validation-missing");
      note.hidden = false;
      note.textContent += " " + t("validation_" + (v.reason_code || "failed"));
      if (v.reason) note.title = v.reason;  // the model's own words, on hover
      $("validation-chart").hidden = true;
      return;
    }
    const m = v.summary;
    $("validation-note").textContent = t("validation_note", { model: v.model, from: m.calibration_end, to: m.holdout_end,
      actual: fmt.int(m.actual_total), predicted: fmt.int(m.predicted_total), mae: fmt.num(m.mae, 2) });
    const holdoutStart = v.tracking.findIndex((r) => r.period === "holdout");
    chart("validation-chart").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 20, top: 40, bottom: 40 }, legend: { top: 0 }, tooltip: { trigger: "axis", valueFormatter: (x) => fmt.num(x, 1) },
      xAxis: { type: "category", data: v.tracking.map((r) => r.week_start) }, yAxis: { type: "value", name: t("weekly_repeat") },
      series: [
        { type: "line", name: t("actual"), data: v.tracking.map((r) => r.actual), showSymbol: false, lineStyle: { width: 2 },
          markArea: holdoutStart < 0 ? undefined : { silent: true, itemStyle: { color: "rgba(230,159,0,0.10)" }, label: { formatter: t("holdout"), color: "#8a5a00" },
                                                     data: [[{ xAxis: v.tracking[holdoutStart].week_start }, { xAxis: v.tracking[v.tracking.length - 1].week_start }]] } },
        { type: "line", name: t("expected"), data: v.tracking.map((r) => r.expected), showSymbol: false, lineStyle: { width: 2, type: "dashed" } },
      ],
    }));
  }

  // -- customers --------------------------------------------------------------------------
  const FILTER_KEYS = ["segment", "abc", "stage", "cell", "quadrant", "clv_min", "clv_max", "q"];

  async function customers() {
    const params = new URLSearchParams(location.search);
    let ov;
    try { ov = await api("/overview"); } catch (e) { showNoRun(e); return; }
    runMeta(ov.run_id, ov.as_of);
    const caps = ov.capabilities;
    document.querySelectorAll("[data-needs]").forEach((n) => { n.hidden = !caps[n.dataset.needs]; });
    const select = $("f-segment");
    for (const s of ov.segments) select.append(el("option", { value: s.segment }, s.label));
    const form = $("filters");
    for (const k of FILTER_KEYS) { const input = form.elements[k]; if (input && params.get(k)) input.value = params.get(k); }
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const next = new URLSearchParams();
      for (const k of FILTER_KEYS) { const input = form.elements[k]; if (input && input.value) next.set(k, input.value); }
      if (params.get("quadrant")) next.set("quadrant", params.get("quadrant"));
      location.search = next.toString();
    });
    $("f-clear").addEventListener("click", () => { location.search = ""; });
    $("masked-note").hidden = boot.role !== "viewer";
    const state = { sort: params.get("sort") || "value_rank", order: params.get("order") || "asc",
                    page: Number(params.get("page") || 1) };
    const filters = {};
    for (const k of FILTER_KEYS) if (params.get(k)) filters[k] = params.get(k);
    exportLinks($("list-actions"), Object.assign({ sort: state.sort, order: state.order }, filters));
    const go = (patch) => {
      const next = new URLSearchParams(location.search);
      for (const [k, v] of Object.entries(patch)) next.set(k, v);
      location.search = next.toString();
    };
    let page;
    try {
      page = await api("/customers?" + query(Object.assign({ sort: state.sort, order: state.order, page: state.page, page_size: 50 }, filters)));
    } catch (e) { $("list-count").textContent = t("error_generic") + e.message; return; }
    $("list-count").textContent = t("results", { n: fmt.int(page.total) });
    table($("customers-table"), customerColumns(page.columns, page.rows, page.masked), page.rows, {
      sortKey: state.sort, descending: state.order === "desc",
      onSort: (key) => go({ sort: key, order: key === state.sort && state.order === "asc" ? "desc" : "asc", page: 1 }),
    });
    const pages = Math.max(1, Math.ceil(page.total / page.page_size));
    $("page-info").textContent = t("page", { p: fmt.int(state.page), n: fmt.int(pages) });
    $("prev").disabled = state.page <= 1;
    $("next").disabled = state.page >= pages;
    $("prev").addEventListener("click", () => go({ page: state.page - 1 }));
    $("next").addEventListener("click", () => go({ page: state.page + 1 }));
  }

  // -- one customer -----------------------------------------------------------------------
  async function customer() {
    const id = boot.customer_id;
    $("customer-title").textContent = t("customer_title", { id });
    let data;
    try { data = await api("/customers/" + encodeURIComponent(id)); }
    catch (e) {
      // the message is in place before the notice shows (the latest run is asked for first)
      const latest = e.status === 404 ? await api("/overview").catch(() => null) : null;
      $("no-run").textContent = latest ? t("customer_missing", { id, run: latest.run_id })
        : e.status === 404 ? t("not_found") : t("error_generic") + e.message;
      showNoRun(e);
      return;
    }
    const c = data.customer;
    runMeta(data.run_id, data.history.length ? data.history[data.history.length - 1].as_of : null);
    if (c.name) $("customer-title").textContent = t("customer_title", { id }) + " · " + c.name;
    const cards = [
      kpi(t("segment"), c.rfm_segment_label || segmentLabel(c.rfm_segment), `R${c.r_score} F${c.f_score} M${c.m_score}`),
      kpi(t("abc"), c.abc_class, `${t("col_value_rank")} ${fmt.int(c.value_rank)}`),
      kpi(t("col_monetary_total"), fmt.money(c.monetary_total), `${fmt.int(c.n_transactions)} × · ${fmt.date(c.first_purchase)} – ${fmt.date(c.last_purchase)}`),
      kpi(t("col_recency_days"), fmt.int(c.recency_days), `${t("col_frequency")}: ${fmt.int(c.frequency)}`),
    ];
    if (c.lifecycle_stage !== undefined) cards.push(kpi(t("col_lifecycle_stage"), c.lifecycle_stage_label || segmentLabel(c.lifecycle_stage), c.matrix_cell ? `${t("cell")}: ${cellLabel(c.matrix_cell)}` : null));
    if (c.clv !== undefined) cards.push(kpi(t("col_clv"), fmt.money(c.clv), c.probability_alive !== undefined ? `${t("col_probability_alive")} ${fmt.pct(c.probability_alive)}` : null));
    $("customer-kpis").replaceChildren(...cards);
    const advice = ["recommended_action", "action_reason", "churn_reason", "lifecycle_reason"].filter((k) => c[k]);
    const said = (k) => k === "churn_reason" && c.churn_risk !== null && c.churn_risk !== undefined
      ? `${fmt.pct(c.churn_risk)} — ${c[k]}` : c[k];
    if (advice.length) {
      $("advice").hidden = false;
      $("advice-facts").replaceChildren(...advice.flatMap((k) => [el("dt", {}, t(k)), el("dd", {}, said(k))]));
    }
    const hist = data.history;
    chart("history-chart").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 20, top: 20, bottom: 30 }, tooltip: { trigger: "axis", valueFormatter: fmt.money },
      xAxis: { type: "category", data: hist.map((h) => `#${h.run_id} ${fmt.date(h.as_of)}`) },
      yAxis: { type: "value", axisLabel: { formatter: fmt.compact } },
      series: [{ type: "bar", name: t("col_monetary_total"), data: hist.map((h) => h.monetary_total ?? null), barMaxWidth: 40 }],
    }));
    table($("history-table"), [
      { key: "run_id", label: t("run"), format: (v) => "#" + v }, { key: "as_of", label: t("as_of"), format: fmt.date },
      { key: "rfm_segment_label", label: t("segment"), format: (v, r) => v || (r.rfm_segment ? segmentLabel(r.rfm_segment) : "–") },
      { key: "abc_class", label: t("abc") }, { key: "monetary_total", label: t("col_monetary_total"), num: true, format: fmt.money },
    ], hist);
    const facts = $("golden");
    const record = data.golden || null;
    $("golden-missing").hidden = !!record;
    facts.replaceChildren(...Object.entries(record || {}).filter(([, v]) => v !== null).flatMap(([k, v]) => [el("dt", {}, t("col_" + k) === "col_" + k ? k : t("col_" + k)), el("dd", {}, String(v))]));
    const srcCols = data.sources.length ? Object.keys(data.sources[0]).filter((k) => data.sources.some((r) => r[k] !== null)) : ["source", "source_customer_id"];
    table($("sources-table"), srcCols.map((k) => ({ key: k, label: t("col_" + k) === "col_" + k ? k : t("col_" + k),
      format: k === "method" ? (v) => t("method_" + v) : undefined })), data.sources);
    table($("purchases-table"), [
      { key: "purchase_time", label: t("date"), format: fmt.time }, { key: "amount", label: t("amount"), num: true, format: fmt.money },
      { key: "store", label: t("store") }, { key: "product", label: t("product") }, { key: "source", label: t("source") },
    ], data.purchases);
    if (window.cvmTimeline) window.cvmTimeline(data);
  }

  // -- upload and run ---------------------------------------------------------------------
  async function runs() {
    const isAdmin = boot.role === "admin";
    const form = $("upload-form");
    if (!isAdmin) { $("needs-admin").hidden = false; form.querySelectorAll("input, select, button").forEach((n) => { n.disabled = true; }); }
    const schemes = await api("/schemes");
    for (const s of schemes) $("u-scheme").append(el("option", { value: s }, s));
    $("u-scheme").value = schemes.includes("std11") ? "std11" : schemes[0];
    const known = await drawRuns();
    if (known.length) await loadReport(known[0].run_id);
    const jobs = await api("/jobs");
    const active = jobs.find((j) => j.status === "queued" || j.status === "running");
    if (active) follow(active.job_id);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = new FormData(form);
      body.set("lang", boot.lang);  // a results folder written by the run uses the reader's language
      if (!$("u-customers").files.length) body.delete("customers");
      if (!body.get("as_of")) body.delete("as_of");
      await start(() => api("/runs/upload", { method: "POST", body }));
    });
    $("u-rerun").addEventListener("click", async () => {
      const payload = { rfm_scheme: $("u-scheme").value, lang: boot.lang };
      if ($("u-as-of").value) payload.as_of = $("u-as-of").value;
      await start(() => api("/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) }));
    });
  }

  async function start(request) {
    $("job").hidden = false;
    $("job-error").hidden = true;
    try { const job = await request(); follow(job.job_id); }
    catch (e) { showJob({ status: "failed", progress: 1, message: "", error: e.message }); }
  }

  function showJob(job) {
    $("job").hidden = false;
    const bar = $("job-bar");
    bar.style.width = Math.round(job.progress * 100) + "%";
    bar.className = "bar " + job.status;
    const status = $("job-status");
    status.textContent = t("status_" + job.status);
    status.className = "status " + job.status;
    $("job-message").textContent = job.status === "complete" ? t("run_done", { id: job.run_id }) : job.message;
    if (job.status === "failed") { $("job-error").hidden = false; $("job-error").textContent = t("run_failed") + (job.error || ""); }
  }

  async function follow(jobId) {
    for (;;) {
      const job = await api("/jobs/" + jobId);
      showJob(job);
      if (job.status === "complete" || job.status === "failed") {
        await drawRuns();
        if (job.run_id) await loadReport(job.run_id);
        return;
      }
      await new Promise((r) => setTimeout(r, 600));
    }
  }

  async function drawRuns() {
    const rows = (await api("/runs")).reverse();
    table($("runs-table"), [
      { key: "run_id", label: t("run"), format: (v) => "#" + v },
      { key: "status", label: t("status"), format: (v) => el("span", { class: "status " + v }, t("status_" + v)) },
      { key: "as_of", label: t("as_of"), format: fmt.date }, { key: "started_at", label: t("started"), format: fmt.time },
      { key: "finished_at", label: t("finished"), format: fmt.time },
      { key: "error", label: t("error"), format: (v) => v ? el("span", { class: "error", title: v }, v.length > 60 ? v.slice(0, 60) + "…" : v) : "" },
    ], rows);
    return rows;
  }

  // What a run's loads did: per file the counts, columns and date order; the rejected rows.
  async function loadReport(runId) {
    const report = await api(`/runs/${runId}/load-report`);
    $("load-report").hidden = false;
    $("load-summary").textContent = report.files.length
      ? t("load_of_run", { run: runId, read: fmt.int(report.rows_read), loaded: fmt.int(report.rows_loaded), rejected: fmt.int(report.rows_rejected) })
      : t("load_none");
    const field = (k) => (t("col_" + k) === "col_" + k ? k : t("col_" + k));
    table($("load-files"), [
      { key: "file", label: t("lr_file") },
      { key: "table", label: t("lr_table"), format: (v) => t("table_" + v) },
      { key: "rows_read", label: t("lr_read"), num: true, format: fmt.int },
      { key: "rows_loaded", label: t("lr_loaded"), num: true, format: fmt.int },
      { key: "rows_rejected", label: t("lr_rejected"), num: true, format: fmt.int },
      { key: "columns", label: t("lr_columns"), format: (v, r) => el("div", { class: "columns-found" },
          r.columns_found ? el("div", { class: "note" }, t("found_" + r.columns_found)) : null,
          el("ul", { class: "plain" }, v.map((c) => el("li", {}, `${field(c.field)} ← ${c.source_column}`)))) },
      { key: "date_order", label: t("lr_dates"), format: (v) => t("date_" + v) },
      { key: "reasons", label: t("lr_reasons"), format: (v) => el("ul", { class: "plain" },
          v.map((r) => el("li", {}, `${t("reject_" + r.code) === "reject_" + r.code ? r.reason : t("reject_" + r.code)}: ${fmt.int(r.rows)}`))) },
    ], report.files);
    $("rejects-masked").hidden = boot.role !== "viewer";
    const actions = $("rejects-actions");
    actions.replaceChildren();
    if (report.rows_rejected && boot.role !== "viewer") {
      actions.append(el("a", { href: `/api/v1/runs/${runId}/rejects?format=csv&lang=${boot.lang}`, id: "rejects-csv", download: "" }, t("rejects_csv")));
    }
    await drawRejects(runId, 1);
  }

  async function drawRejects(runId, pageNo) {
    const size = 20;
    const page = await api(`/runs/${runId}/rejects?page=${pageNo}&page_size=${size}`);
    $("rejects-count").textContent = page.total ? t("rejects_count", { n: fmt.int(page.total) }) : t("rejects_none");
    table($("rejects-table"), [
      { key: "file", label: t("lr_file") }, { key: "row", label: t("rj_row"), num: true, format: fmt.int },
      { key: "field", label: t("rj_field") },
      { key: "code", label: t("rj_reason"), format: (v, r) => el("span", { title: boot.lang === "en" && r.detail ? r.detail : null }, t("reject_" + v) === "reject_" + v ? r.reason : t("reject_" + v)) },
      { key: "value", label: t("rj_value"), format: (v) => (v === null || v === undefined ? "–" : el("code", {}, v)) },
    ], page.rows);
    const pages = Math.max(1, Math.ceil(page.total / size));
    $("rejects-page").textContent = t("page", { p: fmt.int(pageNo), n: fmt.int(pages) });
    const prev = $("rejects-prev"), next = $("rejects-next");
    prev.disabled = pageNo <= 1;
    next.disabled = pageNo >= pages;
    prev.onclick = () => drawRejects(runId, pageNo - 1);
    next.onclick = () => drawRejects(runId, pageNo + 1);
  }

  const pages = { overview, matrix, lifecycle, clv, customers, customer, runs };
  if (pages[boot.page]) pages[boot.page]().catch((e) => { if (e.status !== 401) console.error(e); });
})();
