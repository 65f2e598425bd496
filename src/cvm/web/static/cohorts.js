// cvm dashboard: the cohort page, drawn from GET /api/v1/cohorts.
"use strict";
(function () {
  const { boot, t, api, fmt, el, table, chart, baseOption, runMeta, showNoRun } = window.CVM;
  if (boot.page !== "cohorts") return;
  const $ = (id) => document.getElementById(id);
  const state = { source: "purchases", by: "all", group: null, metric: "active_share" };

  function groupName(by, g) {
    if (g === null || g === undefined) return t("cohort_no_group");
    return by === "value_tier" ? t("cohort_tier_" + g) : g;
  }

  function values(group, metric) {
    if (metric === "survival") return group.survivors.map((row, i) => row.map((s) => s / group.customers[i]));
    return group[metric];
  }

  function cell(metric, v) {
    if (v === null || v === undefined) return "–";
    if (metric === "active_share" || metric === "survival") return fmt.pct(v, 0);
    if (metric === "lost") return fmt.int(v);
    return fmt.money(v);
  }

  let latest = 0;  // answers to earlier choices that arrive late are not drawn

  async function draw() {
    const asked = ++latest;
    let data;
    try {
      data = await api("/cohorts?" + new URLSearchParams({ source: state.source, by: state.by }));
    } catch (e) { showNoRun(e); return; }
    if (asked !== latest) return;
    if (!data.available) {
      if (data.reason_code === "no_members" && state.source === "members") { state.source = "purchases"; return draw(); }
      $("cohorts-missing").hidden = false; return;
    }
    if (!state.meta) { state.meta = true; api("/overview").then((ov) => runMeta(ov.run_id, ov.as_of)).catch(() => runMeta(data.run_id, null)); }
    $("cohorts-content").hidden = false;
    const source = $("cohort-source");
    source.value = state.source;
    source.querySelector('option[value="members"]').disabled = !data.sources.includes("members");
    $("cohort-by").replaceChildren(...data.dimensions.map((d) => el("option", { value: d }, t("cohort_dim_" + d))));
    $("cohort-by").value = state.by;
    const groups = data.groups;
    if (!groups.some((g) => g.group === state.group)) state.group = groups.length ? groups[0].group : null;
    $("cohort-group").replaceChildren(...groups.map((g, i) => el("option", { value: String(i) }, groupName(state.by, g.group))));
    $("cohort-group").value = String(groups.findIndex((g) => g.group === state.group));
    $("cohort-group").disabled = state.by === "all";
    $("cohort-split-note").hidden = state.by === "all" || state.source !== "purchases";
    $("cohort-metric").value = state.metric;
    const group = groups.find((g) => g.group === state.group);
    if (!group) return;
    const rows = values(group, state.metric);
    const width = Math.max(0, ...rows.map((r) => r.length));
    const periods = Array.from({ length: width }, (_, k) => String(k));
    const cohorts = group.cohorts.map((c) => c.slice(0, 7));
    const points = [];
    rows.forEach((row, i) => row.forEach((v, k) => { if (v !== null && !(k === 0 && state.metric === "active_share")) points.push([k, i, v]); }));
    const top = Math.max(0, ...points.map((p) => p[2]));
    $("cohort-heat-title").textContent = t("cohort_heat_" + (state.metric.startsWith("cumulative_") ? "money" : "share"), { metric: $("cohort-metric").selectedOptions[0].textContent });
    chart("cohort-heatmap").setOption(Object.assign({}, baseOption, {
      grid: { left: 70, right: 90, top: 10, bottom: 50 },
      tooltip: { position: "top", formatter: (p) => `${cohorts[p.value[1]]} · ${t("cohort_period")} ${p.value[0]}: ${cell(state.metric, p.value[2])}` },
      xAxis: { type: "category", data: periods, name: t("cohort_periods_since"), nameLocation: "middle", nameGap: 28, splitArea: { show: true } },
      yAxis: { type: "category", data: cohorts, inverse: true, splitArea: { show: true } },
      visualMap: { min: 0, max: top || 1, calculable: true, orient: "vertical", right: 0, top: "middle", itemHeight: 160,
                   inRange: { color: ["#f3f8fc", "#9ecae1", "#2171b5", "#08306b"] }, formatter: (v) => cell(state.metric, v) },
      series: [{ type: "heatmap", data: points, label: { show: width <= 24, fontSize: 9, formatter: (p) => state.metric === "active_share" || state.metric === "survival" ? Math.round(p.value[2] * 100) : fmt.compact(p.value[2]) } }],
    }), true);
    table($("cohort-table"), [
      { key: "cohort", label: t("cohort_cohort") },
      { key: "customers", label: t("customers"), num: true, format: fmt.int },
      ...periods.map((k) => ({ key: "p" + k, label: k, num: true, format: (v) => (v === undefined ? "" : cell(state.metric, v)) })),
    ], rows.map((row, i) => Object.assign({ cohort: cohorts[i], customers: group.customers[i] },
                                          Object.fromEntries(row.map((v, k) => ["p" + k, v])))));
    drawCurves(data);
  }

  function drawCurves(data) {
    const curves = (data.curves || []).filter((c) => c.alpha !== null);
    $("curves-card").hidden = !curves.length;
    if (!curves.length) return;
    const cut = curves[0].calibration_periods - 1;
    $("curves-note").textContent = t("cohort_curves_note", { cut });
    const length = Math.max(...curves.map((c) => c.expected.length));
    const series = [];
    curves.forEach((c) => {
      series.push({ type: "scatter", name: `${c.group ?? ""} ${t("actual")}`, symbolSize: 5, data: c.actual.map((v, k) => [k, v]).filter((p) => p[1] !== null) });
      series.push({ type: "line", name: `${c.group ?? ""} ${t("cohort_projection")}`, showSymbol: false, data: c.expected.map((v, k) => [k, v]),
                    markLine: { silent: true, symbol: "none", lineStyle: { type: "dotted", color: "#666" }, label: { formatter: t("cohort_fit_end") }, data: [{ xAxis: cut }] } });
    });
    chart("retention-curves").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 20, top: 40, bottom: 40 }, legend: { top: 0 },
      tooltip: { trigger: "axis", valueFormatter: (v) => fmt.pct(v, 1) },
      xAxis: { type: "value", min: 0, max: length - 1, name: t("cohort_periods_since"), nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => fmt.pct(v, 0) } },
      series,
    }), true);
    table($("curves-table"), [
      { key: "group", label: t("cohort_plan") },
      { key: "customers", label: t("customers"), num: true, format: fmt.int },
      { key: "alpha", label: "α", num: true, format: (v) => fmt.num(v, 3) },
      { key: "beta", label: "β", num: true, format: (v) => fmt.num(v, 3) },
      { key: "holdout_mae", label: t("cohort_holdout_error"), num: true, format: (v) => fmt.pct(v, 1) },
      { key: "at12", label: t("cohort_projected_at", { k: 12 }), num: true, format: (v) => fmt.pct(v, 0) },
      { key: "at24", label: t("cohort_projected_at", { k: 24 }), num: true, format: (v) => fmt.pct(v, 0) },
    ], curves.map((c) => Object.assign({}, c, { at12: c.expected[12], at24: c.expected[24] })));
  }

  $("cohort-source").addEventListener("change", (e) => { state.source = e.target.value; state.by = "all"; state.group = null; draw(); });
  $("cohort-by").addEventListener("change", (e) => { state.by = e.target.value; state.group = undefined; draw(); });
  $("cohort-group").addEventListener("change", (e) => { state.groupIndex = Number(e.target.value); state.group = undefined; drawGroup(Number(e.target.value)); });
  $("cohort-metric").addEventListener("change", (e) => { state.metric = e.target.value; draw(); });

  async function drawGroup(index) {
    const data = await api("/cohorts?" + new URLSearchParams({ source: state.source, by: state.by }));
    state.group = data.groups[index] ? data.groups[index].group : null;
    draw();
  }

  draw().catch((e) => { if (e.status !== 401) console.error(e); });
})();
