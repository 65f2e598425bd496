// cvm dashboard: a customer's timeline of purchases, service contacts, survey answers and
// campaigns, newest first.
// Defines window.cvmTimeline(data), called by the customer page once its data is in.
"use strict";
(function () {
  window.cvmTimeline = function (data) {
    const { t, fmt, el, table, boot } = window.CVM;
    const events = data.timeline || [];
    const $ = (id) => document.getElementById(id);
    const word = (key) => (key === null || key === undefined ? "–"
      : t("event_" + key) === "event_" + key ? key : t("event_" + key));
    const contacts = events.filter((e) => e.event === "contact");
    const complaints = contacts.filter((e) => e.kind === "complaint");
    $("timeline-summary").textContent = events.length
      ? t("timeline_contacts", { n: fmt.int(contacts.length), c: fmt.int(complaints.length) })
      : t("timeline_empty");
    $("timeline-masked").hidden = !(boot.role === "viewer" && contacts.some((e) => e.note === "***"));
    table($("timeline-table"), [
      { key: "time", label: t("date"), format: fmt.time },
      { key: "kind", label: t("timeline_event"),
        format: (v, r) => el("span", { class: "event event-" + r.event + " kind-" + v }, word(v)) },
      { key: "channel", label: t("timeline_channel"), format: (v, r) => (r.event === "contact" ? word(v) : (v ?? "–")) },
      { key: "amount", label: t("amount"), num: true, format: (v) => (v === null || v === undefined ? "" : fmt.money(v)) },
      { key: "detail", label: t("timeline_detail") },
      { key: "note", label: t("timeline_note"), format: (v) => v ?? "" },
    ], events);
    $("timeline-table").querySelectorAll("tbody tr").forEach((tr, i) => {
      tr.classList.add("event-row", "event-" + events[i].event);
      if (events[i].kind === "complaint") tr.classList.add("complaint");
    });
  };
})();
