// cvm dashboard: the cross-sell page (basket rules, next best offers) and the uplift figures.
"use strict";
(function () {
  const { boot, t, api, fmt, el, table, chart, baseOption, runMeta, showNoRun, actionLabel } = window.CVM;
  if (boot.page !== "cross_sell") return;
  const $ = (id) => document.getElementById(id);

  function kpi(label, value) {
    return el("div", { class: "kpi" }, el("div", { class: "label" }, label), el("div", { class: "value" }, value));
  }

  function customerLink(id) {
    return el("a", { href: "/customers/" + encodeURIComponent(id), class: "customer-link" }, id);
  }

  function uplift(u) {
    if (!u || !u.models) return;  // no uplift stage, or a campaign too small to learn from
    $("uplift-content").hidden = false;
    const seg = u.segments || {};
    $("uplift-note").textContent = t("up_note", {
      treated: fmt.int(u.treated), control: fmt.int(u.control), ate: fmt.pct(u.average_uplift),
      held: fmt.int(u.held_out), p: fmt.int(seg.persuadable || 0), s: fmt.int(seg.sure_thing || 0),
      l: fmt.int(seg.lost_cause || 0), d: fmt.int(seg.do_not_disturb || 0) });
    const rows = Object.entries(u.models).map(([name, m]) => Object.assign({ model: name }, m));
    table($("uplift-models"), [
      { key: "model", label: t("up_model"), format: (v) => t("up_" + v) + (v === u.chosen ? " ✓" : "") },
      { key: "qini_auc", label: "Qini AUC", num: true, format: (v) => fmt.num(v, 3) },
      { key: "uplift_at_10", label: t("up_at", { k: 10 }), num: true, format: (v) => fmt.pct(v) },
      { key: "uplift_at_30", label: t("up_at", { k: 30 }), num: true, format: (v) => fmt.pct(v) },
      { key: "uplift_at_50", label: t("up_at", { k: 50 }), num: true, format: (v) => fmt.pct(v) },
    ], rows);
    const line = (points, name, dashed) => ({ type: "line", name, showSymbol: false, data: points,
      lineStyle: dashed ? { type: "dashed" } : undefined });
    const perfect = u.curves.perfect, last = perfect[perfect.length - 1];
    chart("uplift-chart").setOption(Object.assign({}, baseOption, {
      tooltip: { trigger: "axis" }, legend: { top: 0 },
      xAxis: { type: "value", name: t("up_x") }, yAxis: { type: "value" },
      series: [line(u.curves[u.chosen], t("up_" + u.chosen)), line(perfect, t("up_perfect"), true),
               line([[0, 0], last], t("up_random"), true)],
    }));
  }

  async function page() {
    let data;
    try { data = await api("/cross-sell"); } catch (e) { showNoRun(e); return; }
    runMeta(data.run_id, data.as_of);
    uplift(data.uplift);
    if (!data.available) { $("cs-missing").hidden = false; return; }
    $("cs-content").hidden = false;
    const s = data.summary;
    $("cs-kpis").replaceChildren(kpi(t("cs_orders"), fmt.int(s.orders)), kpi(t("cs_products"), fmt.int(s.products)),
                                 kpi(t("cs_rule_count"), fmt.int(s.rules)),
                                 kpi(t("cs_offer_customers"), fmt.int(s.offer_customers || 0)));
    table($("cs-rules"), [
      { key: "antecedent", label: t("cs_antecedent") }, { key: "consequent", label: t("cs_consequent") },
      { key: "support", label: t("cs_support"), num: true, format: (v) => fmt.pct(v) },
      { key: "confidence", label: t("cs_confidence"), num: true, format: (v) => fmt.pct(v) },
      { key: "lift", label: t("cs_lift"), num: true, format: (v) => fmt.num(v, 2) },
    ], data.rules);
    table($("cs-offers"), [
      { key: "customer_id", label: t("col_customer_id"), format: (v) => customerLink(v) },
      { key: "recommended_action", label: t("cs_action"), format: (v) => (v ? actionLabel(v) : "–") },
      { key: "next_best_offer", label: t("cs_offer") },
      { key: "probability_offer_purchase", label: t("cs_probability"), num: true, format: (v) => fmt.pct(v) },
      { key: "expected_offer_margin", label: t("cs_margin"), num: true, format: (v) => fmt.money(v) },
      { key: "expected_offer_value", label: t("cs_value"), num: true, format: (v) => fmt.money(v) },
    ], data.offers);
  }

  page().catch((e) => { if (e.status !== 401) console.error(e); });
})();
