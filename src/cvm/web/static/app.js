// cvm dashboard: shared helpers (API calls, number formats, tables, charts, sign-in/out).
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("cvm-boot").textContent);
  const L = boot.labels;
  const lang = boot.lang;
  const locale = lang === "zh" ? "zh-CN" : "en-US";
  const PALETTE = ["#1f6fb2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#7f7f7f",
                   "#f0e442", "#004d80", "#8c564b", "#17becf", "#bcbd22"];

  function t(key, params) {
    let text = L[key] !== undefined ? L[key] : key;
    for (const [k, v] of Object.entries(params || {})) text = text.split("{" + k + "}").join(v);
    return text;
  }

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  // Reads ask for labels in the page's language (the API words a run's stored keys in it).
  function withLang(path) {
    if (/[?&]lang=/.test(path)) return path;
    return path + (path.includes("?") ? "&" : "?") + "lang=" + lang;
  }

  async function api(path, options) {
    const method = ((options && options.method) || "GET").toUpperCase();
    const url = "/api/v1" + (method === "GET" ? withLang(path) : path);
    const response = await fetch(url, Object.assign({ credentials: "same-origin" }, options || {}));
    if (response.status === 401 && boot.page !== "login") {
      location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
      throw new ApiError(401, "signed out");
    }
    if (!response.ok) {
      let detail = response.statusText;
      try { const body = await response.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); } catch (e) { /* not JSON */ }
      throw new ApiError(response.status, detail);
    }
    return response.status === 204 ? null : response.json();
  }

  const fmt = {
    int: (n) => (n === null || n === undefined) ? "–" : Math.round(n).toLocaleString(locale),
    num: (n, digits) => (n === null || n === undefined) ? "–" :
      Number(n).toLocaleString(locale, { minimumFractionDigits: digits ?? 1, maximumFractionDigits: digits ?? 1 }),
    money: (n) => {
      if (n === null || n === undefined) return "–";
      const digits = Math.abs(n) >= 1000 ? 0 : 2;
      return Number(n).toLocaleString(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    },
    compact: (n) => (n === null || n === undefined) ? "–" :
      Number(n).toLocaleString(locale, { notation: "compact", maximumFractionDigits: 1 }),
    pct: (x, digits) => (x === null || x === undefined) ? "–" : (x * 100).toFixed(digits ?? 1) + "%",
    date: (d) => d ? String(d).slice(0, 10) : "–",
    // an instant from the API (in UTC) shown in the reader's own time zone
    time: (d) => {
      const t = d ? new Date(d) : null;
      if (!t || isNaN(t)) return "–";
      const p = (n) => String(n).padStart(2, "0");
      return `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${p(t.getHours())}:${p(t.getMinutes())}`;
    },
  };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Fill <table> from columns [{key, label, num, format(value,row) -> text|Node, sort}] and rows.
  function table(node, columns, rows, options) {
    options = options || {};
    node.replaceChildren();
    const head = el("tr", {}, columns.map((c) => {
      const th = el("th", { class: c.num ? "num" : "", "data-sort": options.onSort && c.sort !== false ? c.key : null }, c.label);
      if (options.sortKey === c.key) th.classList.add("sorted", ...(options.descending ? ["desc"] : []));
      if (options.onSort && c.sort !== false) th.addEventListener("click", () => options.onSort(c.key));
      return th;
    }));
    const body = el("tbody", {}, rows.map((row) => el("tr", {}, columns.map((c) => {
      const raw = row[c.key];
      const shown = c.format ? c.format(raw, row) : (raw === null || raw === undefined ? "–" : raw);
      return el("td", { class: c.num ? "num" : "" }, shown);
    }))));
    node.append(el("thead", {}, head), body);
  }

  const charts = [];
  function chart(id) {
    const node = document.getElementById(id);
    const instance = echarts.getInstanceByDom(node) || echarts.init(node, null, { renderer: "canvas" });
    if (!charts.includes(instance)) charts.push(instance);
    return instance;
  }
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  const baseOption = {
    color: PALETTE,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily, color: "#1f2430" },
    animationDuration: 300,
  };

  function runMeta(runId, asOf) {
    const node = document.getElementById("run-meta");
    if (node) node.textContent = `${t("run")} #${runId} · ${t("as_of")} ${fmt.date(asOf)}`;
  }

  function showNoRun(error) {
    const empty = document.getElementById("no-run");
    const content = document.getElementById("content");
    if (content) content.hidden = true;
    if (empty) {
      empty.hidden = false;
      if (error && error.status !== 404) empty.textContent = t("error_generic") + error.message;
    }
  }

  // A stored key (lifecycle stage, quadrant, segment key) in the page's words.
  function segmentLabel(key) {
    if (key === null || key === undefined) return t("no_purchase");
    if (key === "(new)") return t("new");
    if (key === "(gone)") return t("gone");
    if (L["key_" + key] !== undefined) return L["key_" + key];
    return String(key).replace(/_/g, " ");
  }

  // A matrix cell key ("HH-current", "high-decline") as its two parts in the page's words.
  function cellLabel(cell) {
    if (cell === null || cell === undefined) return "–";
    const [value, life] = String(cell).split("-");
    return life === undefined ? segmentLabel(value) : `${segmentLabel(value)} · ${segmentLabel(life)}`;
  }

  // An action key (cross_sell, let_go) in the page's words.
  function actionLabel(key) {
    if (key === null || key === undefined) return "–";
    return L["action_" + key] !== undefined ? L["action_" + key] : key;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
    return q.toString();
  }

  function setupChrome() {
    const out = document.getElementById("sign-out");
    if (out) out.addEventListener("click", async () => {
      await fetch("/api/v1/session", { method: "DELETE", credentials: "same-origin" });
      location.href = "/login";
    });
  }

  function setupLogin() {
    const form = document.getElementById("login-form");
    if (!form) return;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = document.getElementById("login-error");
      error.hidden = true;
      try {
        await api("/session", { method: "POST", headers: { "Content-Type": "application/json" },
                                body: JSON.stringify({ token: document.getElementById("token").value.trim() }) });
        location.href = boot.next || "/";  // the server keeps only paths on this site
      } catch (e) {
        error.textContent = e.status === 401 ? t("bad_token") : t("error_generic") + e.message;
        error.hidden = false;
      }
    });
  }

  window.CVM = { boot, lang, t, api, fmt, el, table, chart, baseOption, runMeta, showNoRun,
                 segmentLabel, cellLabel, actionLabel, query, PALETTE };
  setupChrome();
  setupLogin();
})();
