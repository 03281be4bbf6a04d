// The recall register: the API's keyset pages in the account's scope, filtered by state and
// verdict; lagging recalls and overdue reports are marked (in words, not colour alone); each
// row opens the recall's page.
"use strict";

(() => {
  const { t, read, percent, place } = Dashboard;
  const body = document.querySelector("#register tbody");
  const more = document.getElementById("more");
  const days = new Intl.DateTimeFormat(Dashboard.lang, { dateStyle: "medium", timeZone: "Asia/Shanghai" });
  const RECALL_ALERTS = new Set(["recall_lagging", "recall_ineffective", "progress_report_overdue", "referral"]);
  let next = null;

  function query() {
    const params = new URLSearchParams({ limit: "50", sort: document.getElementById("sort").value });
    for (const name of ["state", "verdict"]) {
      for (const value of document.getElementById(name).value.split(",").filter(Boolean)) {
        params.append(name, value);
      }
    }
    return `/recalls?${params}`;
  }

  function add(items) {
    for (const r of items) {
      const row = body.insertRow();
      row.dataset.recallId = r.recall_id;
      row.classList.toggle("lagging", r.state === "lagging");
      row.classList.toggle("overdue", r.report_overdue);
      const link = document.createElement("a");
      link.href = `/dashboard/recalls/${encodeURIComponent(r.recall_id)}`;
      link.textContent = r.recall_id;
      Dashboard.cell(row, "", "nowrap").appendChild(link);
      Dashboard.cell(row, r.product_key, "key");
      Dashboard.cell(row, t(r.state), `state ${r.state}`);
      Dashboard.cell(row, percent(r.raw_rate), "num");
      Dashboard.cell(row, percent(r.target_rate), "num");
      const forecast = r.forecast_final_rate === null ? "—"
        : `${percent(r.forecast_final_rate)} (${percent(r.forecast_low80)}–${percent(r.forecast_high80)})`;
      Dashboard.cell(row, forecast, "num nowrap");
      const due = Dashboard.cell(row, r.next_report_due ? days.format(new Date(r.next_report_due)) : "—", "nowrap");
      if (r.report_overdue) {
        const mark = document.createElement("strong");
        mark.className = "flag";
        mark.textContent = ` ${t("Report overdue")}`;
        due.appendChild(mark);
      }
      Dashboard.cell(row, r.verdict ? t(r.verdict) : "—", r.verdict ? `verdict ${r.verdict}` : "");
      Dashboard.cell(row, place(r.jurisdiction), "nowrap");
    }
  }

  async function load(path, replace) {
    const page = await read(path);
    if (replace) body.replaceChildren();
    add(page.items);
    if (replace && !page.items.length) Dashboard.fill("register", [], [{}, {}, {}, {}, {}, {}, {}, {}, {}]);
    next = page.next ? new URL(page.next, window.location.origin) : null;
    more.hidden = !next;
  }

  more.addEventListener("click", () => load(next.pathname + next.search, false));
  document.getElementById("filters").addEventListener("change", () => load(query(), true));
  document.addEventListener("live:alert", (e) => {
    if (RECALL_ALERTS.has(e.detail.kind)) load(query(), true);
  });
  Dashboard.ready([load(query(), true).catch((error) => Dashboard.failed("register", error))]);
})();
