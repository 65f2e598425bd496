// cvm dashboard: the churn and win-back page, drawn from GET /churn and GET /churn/winback.
"use strict";
(function () {
  const { boot, t, api, fmt, el, table, chart, baseOption, runMeta, showNoRun, segmentLabel, actionLabel } = window.CVM;
  if (boot.page !== "churn") return;
  const $ = (id) => document.getElementById(id);
  const PAGE_SIZE = 20;

  function kpi(label, value, sub, id) {
    return el("div", { class: "kpi", id }, el("div", { class: "label" }, label),
              el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  function customerLink(id) {
    return el("a", { href: "/customers/" + encodeURIComponent(id), class: "customer-link" }, id);
  }

  function histogram(data) {
    const bins = data.risk_histogram;
    chart("churn-hist").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 20, top: 20, bottom: 40 }, tooltip: { trigger: "axis" },
      xAxis: { type: "category", name: t("col_churn_risk"), nameLocation: "middle", nameGap: 28,
               data: bins.map((b) => `${fmt.num(b.from, 1)}–${fmt.num(b.to, 1)}`) },
      yAxis: { type: "value", axisLabel: { formatter: fmt.compact } },
      series: [{ type: "bar", name: t("churn_customers"), barCategoryGap: "5%",
                 data: bins.map((b) => ({ value: b.customers,
                   itemStyle: { color: b.from >= data.at_risk - 1e-12 ? "#d55e00" : "#1f6fb2" } })) }],
    }));
  }

  function calibration(data) {
    const v = data.validation;
    if (!v.available) {
      const note = $("calibration-missing");
      note.hidden = false;
      note.textContent += " " + (v.reason || "");
      $("calibration-chart").hidden = true;
      $("lift-card").hidden = true;
      return;
    }
    $("calibration-note").textContent = t("churn_calibration_note", {
      end: v.calibration_end, h: data.horizon_days, auc: fmt.num(v.auc, 3), ece: fmt.num(v.ece, 3),
      rate: fmt.pct(v.holdout_churn_rate) });
    const most = Math.max(...v.calibration_bins.map((b) => b.customers), 1);
    chart("calibration-chart").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 20, top: 30, bottom: 50 }, legend: { top: 0 },
      tooltip: { trigger: "item", formatter: (p) => p.seriesIndex === 0
        ? `${t("churn_predicted")} ${fmt.pct(p.value[0])}<br>${t("churn_observed")} ${fmt.pct(p.value[1])}<br>${t("churn_customers")} ${fmt.int(p.value[2])}` : p.seriesName },
      xAxis: { type: "value", min: 0, max: 1, name: t("churn_predicted"), nameLocation: "middle", nameGap: 30,
               axisLabel: { formatter: (x) => fmt.pct(x, 0) } },
      yAxis: { type: "value", min: 0, max: 1, name: t("churn_observed"), axisLabel: { formatter: (x) => fmt.pct(x, 0) } },
      series: [
        { type: "line", name: t("churn_observed"), data: v.calibration_bins.map((b) => [b.mean_score, b.churn_rate, b.customers]),
          symbolSize: (d) => 6 + 18 * d[2] / most, lineStyle: { width: 1.5 } },
        { type: "line", name: t("churn_perfect"), data: [[0, 0], [1, 1]], showSymbol: false,
          lineStyle: { type: "dotted", color: "#7f7f7f" }, itemStyle: { color: "#7f7f7f" } },
      ],
    }));
    chart("lift-chart").setOption(Object.assign({}, baseOption, {
      grid: { left: 60, right: 60, top: 40, bottom: 50 }, legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", name: t("churn_decile"), nameLocation: "middle", nameGap: 30,
               data: v.deciles.map((d) => String(d.decile)) },
      yAxis: [{ type: "value", min: 0, max: 1, name: t("churn_observed"), axisLabel: { formatter: (x) => fmt.pct(x, 0) } },
              { type: "value", min: 0, name: t("churn_lift_axis"), splitLine: { show: false } }],
      series: [
        { type: "bar", name: t("churn_observed"), data: v.deciles.map((d) => d.churn_rate),
          tooltip: { valueFormatter: (x) => fmt.pct(x) } },
        { type: "line", name: t("churn_lift_axis"), yAxisIndex: 1, data: v.deciles.map((d) => d.lift),
          tooltip: { valueFormatter: (x) => fmt.num(x, 2) } },
      ],
    }));
  }

  async function drawWinback(pageNo, data) {
    const list = await api(`/churn/winback?page=${pageNo}&page_size=${PAGE_SIZE}`);
    window.CVM.winback = list;
    $("winback-count").textContent = t("winback_count", { n: fmt.int(list.total) });
    $("winback-masked").hidden = !list.masked.length;
    const money = new Set(["value_after_return", "contact_cost", "winback_value", "recovery_value", "expected_gain"]);
    const pct = new Set(["churn_risk", "winback_probability"]);
    const shown = list.columns.filter((c) => !["recency_days", "frequency"].includes(c) &&
      list.rows.some((r) => r[c] !== null && r[c] !== undefined));
    table($("winback-table"), shown.map((c) => ({
      key: c, label: t("col_" + c), num: money.has(c) || pct.has(c) || c === "winback_rank",
      format: c === "customer_id" ? (v) => customerLink(v)
        : money.has(c) ? (v) => fmt.money(v) : pct.has(c) ? (v) => fmt.pct(v)
        : c === "lifecycle_stage" ? (v) => segmentLabel(v)
        : c === "recommended_action" ? (v) => actionLabel(v)
        : c === "winback_rank" ? (v) => fmt.int(v) : undefined,
    })), list.rows);
    const pages = Math.max(1, Math.ceil(list.total / PAGE_SIZE));
    $("winback-page").textContent = t("page", { p: fmt.int(pageNo), n: fmt.int(pages) });
    const prev = $("winback-prev"), next = $("winback-next");
    prev.disabled = pageNo <= 1;
    next.disabled = pageNo >= pages;
    prev.onclick = () => drawWinback(pageNo - 1, data);
    next.onclick = () => drawWinback(pageNo + 1, data);
  }

  async function churnPage() {
    let data;
    try { data = await api("/churn"); } catch (e) { showNoRun(e); return; }
    const ov = await api("/overview");
    runMeta(ov.run_id, ov.as_of);
    window.CVM.churn = data;
    if (!data.available) {
      const note = $("churn-missing");
      note.hidden = false;
      note.textContent += " " + data.reason;
      return;
    }
    $("churn-content").hidden = false;
    $("churn-kpis").replaceChildren(
      kpi(t("churn_scored"), fmt.int(data.customers_scored), null, "kpi-scored"),
      kpi(t("churn_at_risk"), fmt.int(data.at_risk_customers), t("churn_at_risk_sub", { p: fmt.pct(data.at_risk, 0) }), "kpi-at-risk"),
      kpi(t("churn_mean"), fmt.pct(data.mean_churn_risk), null, "kpi-mean"),
      kpi(t("churn_worth"), fmt.int(data.winback_worth_contacting), t("churn_worth_sub", { v: fmt.money(data.winback_value_total) }), "kpi-worth"),
    );
    $("churn-note").textContent = t("churn_note", { h: data.horizon_days, model: data.model_title, w: data.window_days });
    $("winback-note").textContent = t("winback_note", { cost: fmt.money(data.contact_cost) });
    histogram(data);
    calibration(data);
    await drawWinback(1, data);
  }

  churnPage().catch((e) => { if (e.status !== 401) console.error(e); });
})();
