// cvm dashboard: the satisfaction page (index gauge, NPS trend, importance–performance,
// expectation gap, breakdowns) and the survey answers on a customer's 360° page.
"use strict";
(function () {
  const { boot, t, api, fmt, el, table, chart, baseOption, runMeta, showNoRun, segmentLabel, cellLabel } = window.CVM;
  const $ = (id) => document.getElementById(id);
  const sv = (key, params) => t("sv_" + key, params);
  const span = (low, high, digits) => (low === null || high === null || low === undefined) ? "–"
    : `${fmt.num(low, digits)} – ${fmt.num(high, digits)}`;

  function kpi(label, value, sub) {
    return el("div", { class: "kpi" }, el("div", { class: "label" }, label),
              el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  function keyText(by, key) {
    if (by === "cell") return cellLabel(key);
    if (by === "stage" || by === "segment") return segmentLabel(key);
    return key;
  }

  async function satisfactionPage() {
    let data;
    try { data = await api("/satisfaction"); } catch (e) { showNoRun(e); return; }
    const ov = await api("/overview").catch(() => null);
    if (ov) runMeta(ov.run_id, ov.as_of);
    if (!data.available) { $("survey-missing").hidden = false; return; }
    $("survey-content").hidden = false;
    const ix = data.index;
    const cards = [kpi(sv("index_gauge"), fmt.int(ix.index), `${sv("interval")} ${span(ix.index_low, ix.index_high, 0)}`),
                   kpi(sv("respondents"), fmt.int(data.respondents), `${data.first_date} – ${data.last_date}`)];
    if (data.nps) cards.push(kpi(sv("nps"), fmt.num(data.nps.nps, 1), `${sv("interval")} ${span(data.nps.nps_low, data.nps.nps_high, 1)}`));
    if (data.csat) cards.push(kpi(sv("csat"), fmt.num(data.csat.csat, 1), `${sv("interval")} ${span(data.csat.csat_low, data.csat.csat_high, 1)}`));
    $("survey-kpis").replaceChildren(...cards);
    const words = data.wording || {};  // the rule and the importance basis in the page's language
    $("survey-rule").textContent = `${sv("rescaling")} ${words.index_rule || sv("index_rule", { rule: data.weights.rule })}`;
    chart("survey-gauge").setOption(Object.assign({}, baseOption, {
      series: [{ type: "gauge", min: 0, max: 1000, startAngle: 200, endAngle: -20, splitNumber: 5,
                 progress: { show: true, width: 14 }, axisLine: { lineStyle: { width: 14 } },
                 pointer: { show: false }, axisTick: { show: false }, splitLine: { length: 8 },
                 axisLabel: { distance: 18, fontSize: 10 },
                 detail: { valueAnimation: false, fontSize: 28, offsetCenter: [0, "10%"], formatter: (v) => fmt.int(v) },
                 title: { offsetCenter: [0, "45%"], fontSize: 12 },
                 data: [{ value: Math.round(ix.index), name: `${sv("interval")} ${span(ix.index_low, ix.index_high, 0)}` }] }],
    }));
    const months = (data.by.month || []).filter((m) => m.nps !== null && m.nps !== undefined);
    chart("survey-trend").setOption(Object.assign({}, baseOption, {
      grid: { left: 50, right: 20, top: 20, bottom: 50 }, tooltip: { trigger: "axis", valueFormatter: (v) => fmt.num(v, 1) },
      xAxis: { type: "category", data: months.map((m) => m.key) },
      yAxis: { type: "value", name: sv("nps") },
      series: [
        { type: "line", name: sv("nps"), data: months.map((m) => m.nps) },
        { type: "line", name: `${sv("interval")} ↓`, data: months.map((m) => m.nps_low), symbol: "none", lineStyle: { type: "dashed", width: 1 }, color: "#999" },
        { type: "line", name: `${sv("interval")} ↑`, data: months.map((m) => m.nps_high), symbol: "none", lineStyle: { type: "dashed", width: 1 }, color: "#999" },
      ],
    }));
    if (data.importance && data.importance.length) {
      const rows = data.importance;
      const meanI = rows.reduce((a, r) => a + r.importance, 0) / rows.length;
      const meanP = rows.reduce((a, r) => a + r.performance, 0) / rows.length;
      $("survey-ipa-note").textContent = words.ipa_title || sv("ipa_title", { source: rows[0].importance_source });
      chart("survey-ipa").setOption(Object.assign({}, baseOption, {
        grid: { left: 60, right: 30, top: 20, bottom: 40 },
        tooltip: { formatter: (p) => `${p.data[2]}<br>${sv("performance")} ${fmt.num(p.data[0], 1)}<br>${sv("importance")} ${fmt.num(p.data[1], 3)}<br>${sv(p.data[3])}` },
        xAxis: { type: "value", name: sv("performance"), scale: true },
        yAxis: { type: "value", name: sv("importance"), scale: true },
        series: [{ type: "scatter", symbolSize: 12, data: rows.map((r) => [r.performance, r.importance, r.group, r.quadrant]),
                   label: { show: true, position: "right", formatter: (p) => p.data[2] },
                   markLine: { silent: true, symbol: "none", lineStyle: { type: "dashed", color: "#999" },
                               data: [{ xAxis: meanP }, { yAxis: meanI }] } }],
      }));
    }
    table($("survey-gap"), [
      { key: "item", label: sv("item") }, { key: "respondents", label: sv("respondents"), num: true, format: fmt.int },
      { key: "perception", label: sv("perception"), num: true, format: (v) => fmt.num(v, 1) },
      { key: "expectation", label: sv("expectation"), num: true, format: (v) => fmt.num(v, 1) },
      { key: "gap", label: sv("gap"), num: true, format: (v) => fmt.num(v, 1) },
      { key: "gap_low", label: sv("interval"), num: true, format: (v, r) => span(r.gap_low, r.gap_high, 1) },
    ], data.expectation_gap || []);
    structuralModel(data);
    const select = $("survey-by");
    const names = Object.keys(data.by || {});
    select.replaceChildren(...names.map((n) => el("option", { value: n }, sv(n))));
    const draw = () => {
      const by = select.value;
      table($("survey-by-table"), [
        { key: "key", label: sv(by), format: (v) => keyText(by, v) },
        { key: "respondents", label: sv("respondents"), num: true, format: fmt.int },
        { key: "index", label: sv("index"), num: true, format: fmt.int },
        { key: "index_low", label: sv("interval"), num: true, format: (v, r) => span(r.index_low, r.index_high, 0) },
        { key: "nps", label: sv("nps"), num: true, format: (v) => fmt.num(v, 1) },
        { key: "csat", label: sv("csat"), num: true, format: (v) => fmt.num(v, 1) },
      ], data.by[by] || []);
    };
    select.addEventListener("change", draw);
    if (names.includes("cell")) select.value = "cell";
    if (names.length) draw();
  }

  // The survey's structural model: the path diagram (the report's SVG, drawn by the server),
  // the path coefficients with their bootstrap intervals and the measurement quality.
  function structuralModel(data) {
    const m = data.model;
    if (!m) return;
    if (m.error) { $("survey-path-note").textContent = sv("model_error", { name: m.name, error: m.error }); return; }
    const label = (n) => (m.labels && m.labels[n]) || n;  // the constructs' names in the page's language
    if (data.path_diagram_svg) $("survey-path-diagram").innerHTML = data.path_diagram_svg;  // built by the server from escaped text
    const explained = m.constructs.filter((c) => c.r_squared !== null)
      .map((c) => sv("model_explained", { construct: label(c.name), r2: fmt.num(c.r_squared, 3) })).join(window.CVM.lang === "zh" ? "，" : "; ");
    $("survey-path-note").textContent = sv("model_line", { name: m.name, n: fmt.int(m.respondents), answers: fmt.int(m.answers), explained, boot: fmt.int(m.bootstrap) });
    $("survey-model-paths-title").textContent = sv("paths_title", { name: m.name, n: fmt.int(m.respondents), answers: fmt.int(m.answers), boot: fmt.int(m.bootstrap) });
    table($("survey-model-paths"), [
      { key: "from", label: sv("path_from"), format: label }, { key: "to", label: sv("path_to"), format: label },
      { key: "estimate", label: sv("coefficient"), num: true, format: (v) => fmt.num(v, 3) },
      { key: "std_error", label: sv("std_error"), num: true, format: (v) => fmt.num(v, 3) },
      { key: "ci_lower", label: sv("interval"), num: true, format: (v, r) => span(r.ci_lower, r.ci_upper, 3) },
    ], m.paths);
    const highest = (name) => {
      const pairs = m.htmt.filter((p) => (p.a === name || p.b === name) && p.htmt !== null);
      if (!pairs.length) return "–";
      const top = pairs.reduce((a, b) => (b.htmt > a.htmt ? b : a));
      return `${fmt.num(top.htmt, 3)} (${label(top.a === name ? top.b : top.a)})${top.flag ? " ⚑" : ""}`;
    };
    $("survey-model-quality-title").textContent = sv("quality_title", { limit: m.htmt_limit });
    table($("survey-model-quality"), [
      { key: "construct", label: sv("construct"), format: label },
      { key: "indicators", label: sv("indicators"), num: true, format: fmt.int },
      { key: "r_squared", label: sv("r_squared"), num: true, format: (v) => (v === null ? "–" : fmt.num(v, 3)) },
      { key: "cronbach_alpha", label: sv("alpha"), num: true, format: (v) => fmt.num(v, 3) },
      { key: "rho_c", label: sv("rho_c"), num: true, format: (v) => fmt.num(v, 3) },
      { key: "rho_a", label: sv("rho_a"), num: true, format: (v) => fmt.num(v, 3) },
      { key: "ave", label: sv("ave"), num: true, format: (v) => fmt.num(v, 3) },
      { key: "construct", label: sv("htmt"), num: true, format: (v) => highest(v) },
    ], m.quality);
    $("survey-model").hidden = false;
  }

  async function customerAnswers() {
    const box = $("survey-answers");
    if (!box || !boot.customer_id) return;
    let data;
    try { data = await api("/survey/customers/" + encodeURIComponent(boot.customer_id)); } catch (e) { return; }
    if (!data.responses.length) return;
    const own = await api("/customers/" + encodeURIComponent(boot.customer_id)).catch(() => null);
    const c = own && own.customer;
    const facts = [];
    if (c && c.satisfaction_index !== null && c.satisfaction_index !== undefined) {
      facts.push(el("dt", {}, sv("satisfaction_index")), el("dd", {}, fmt.int(c.satisfaction_index)));
      if (c.overall_satisfaction !== null) facts.push(el("dt", {}, sv("overall_satisfaction")), el("dd", {}, fmt.num(c.overall_satisfaction, 0)));
      if (c.nps_group) facts.push(el("dt", {}, sv("nps_group")), el("dd", {}, `${sv(c.nps_group)} (${fmt.int(c.likelihood_to_recommend)})`));
    }
    $("survey-answers-body").replaceChildren(facts.length ? el("dl", { class: "facts" }, facts) : "", ...data.responses.map((r) => {
      const node = el("table", { class: "data" });
      table(node, [
        { key: "item", label: sv("item"), format: (v, a) => a.reversed ? `${v} ${sv("reversed")}` : v },
        { key: "role", label: sv("role"), format: (v) => sv("role_" + v) },
        { key: "scale", label: sv("scale") },
        { key: "answer", label: sv("answer"), num: true, format: (v, a) => a.dont_know ? sv("dont_know") : (v === null ? "–" : fmt.int(v)) },
      ], r.answers);
      const where = [r.store, r.channel].filter((x) => x).join(" · ");
      return el("div", { class: "table-wrap" }, el("h3", {}, sv("response", { date: fmt.date(r.response_date) }) + (where ? ` (${where})` : "")), node);
    }));
    box.hidden = false;  // shown once filled: a reader never sees an empty card
  }

  if (boot.page === "satisfaction") satisfactionPage().catch((e) => { if (e.status !== 401) console.error(e); });
  if (boot.page === "customer") customerAnswers().catch((e) => { if (e.status !== 401) console.error(e); });
})();
