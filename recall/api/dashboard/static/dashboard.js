// Shared by every dashboard page: the page's context, API reads with the session cookie,
// locale-aware formatting, and safe table rows (text only: data is never parsed as HTML).
"use strict";

const Dashboard = (() => {
  const context = JSON.parse(document.getElementById("page-context").textContent);
  const lang = context.lang;
  const messages = context.messages || {};
  const t = (text) => messages[text] || text;
  const numbers = new Intl.NumberFormat(lang);
  const percents = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  const dates = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Shanghai" });
  const days = new Intl.DateTimeFormat(lang, { month: "short", day: "numeric", timeZone: "Asia/Shanghai" });

  async function read(path) {
    const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      window.location.assign("/dashboard/login");
      throw new Error("signed out");
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      const error = new Error(problem.detail || `${response.status}`);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  // A change made with the session cookie echoes the CSRF cookie (see recall/api/auth.py).
  async function send(method, path, body) {
    const csrf = (document.cookie.match(/(?:^|; )recall_csrf=([^;]*)/) || [])[1] || "";
    const response = await fetch(path, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": decodeURIComponent(csrf) },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.detail || `${response.status}`);
    return answer;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : String(text);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function fill(tableId, items, columns, empty) {
    const body = document.querySelector(`#${tableId} tbody`);
    body.replaceChildren();
    if (!items.length) {
      const row = body.insertRow();
      const td = cell(row, empty || t("Nothing to show"), "empty");
      td.colSpan = columns.length;
      return;
    }
    for (const item of items) {
      const row = body.insertRow();
      for (const column of columns) {
        const className = typeof column.className === "function" ? column.className(item) : column.className;
        cell(row, column.value(item), className);
      }
    }
  }

  // Every chart alike: SVG (sharp when printed or captured), one per element (drawing again
  // updates it), resized with the window, and marked once drawn — `data-drawn` on the element,
  // `data-charts-drawn` on the page — for the browser tests to wait on.
  function chart(element) {
    const target = typeof element === "string" ? document.getElementById(element) : element;
    const found = echarts.getInstanceByDom(target);
    if (found) return found;
    const made = echarts.init(target, null, { renderer: "svg" });
    made.on("finished", () => {
      target.dataset.drawn = "1";
      document.body.dataset.chartsDrawn = "1";
    });
    window.addEventListener("resize", () => made.resize());
    return made;
  }

  // What every chart's options begin with: ECharts' ARIA description of the data, and no
  // animation for readers who asked their system for less motion.
  const chartBase = () => ({
    animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
    aria: { enabled: true },
  });

  // An empty list still holds only list items (screen readers announce "list, 1 item").
  function emptyList(list) {
    const item = document.createElement("li");
    item.className = "empty";
    item.textContent = t("Nothing to show");
    list.replaceChildren(item);
  }

  function failed(elementId, error) {
    const element = document.getElementById(elementId);
    const note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = `${t("Could not load")}: ${error.message}`;
    element.replaceWith(note);
  }

  // Live updates: server-sent events from /dashboard/live (fed from the Kafka topics). The
  // browser's EventSource reconnects on its own; the header's indicator says where it stands,
  // and each event is re-dispatched as a DOM event `live:<kind>` for the page to use.
  function live() {
    const indicator = document.getElementById("live");
    const show = (state, text) => { indicator.dataset.state = state; indicator.textContent = t(text); };
    const source = new EventSource("/dashboard/live");
    source.addEventListener("status", (e) => {
      const connected = JSON.parse(e.data).connected;
      show(connected ? "on" : "retrying", connected ? "Live: on" : "Live: reconnecting");
    });
    source.addEventListener("reload", () => window.location.reload());
    source.onerror = () => show("retrying", "Live: reconnecting");
    for (const kind of ["signal", "investigation", "alert"]) {
      source.addEventListener(kind, (e) => {
        document.dispatchEvent(new CustomEvent(`live:${kind}`, { detail: JSON.parse(e.data) }));
      });
    }
    return source;
  }

  function prepend(tableId, values, limit) {
    const body = document.querySelector(`#${tableId} tbody`);
    const placeholder = body.querySelector("td.empty");
    if (placeholder) placeholder.parentElement.remove();
    const row = body.insertRow(0);
    row.className = "new";
    for (const [text, className] of values) cell(row, text, className);
    while (body.rows.length > limit) body.deleteRow(body.rows.length - 1);
    return row;
  }

  // A page is ready when every part of its first view has loaded or failed: the mark
  // `dashboard-ready` (and body[data-ready]) is what the browser tests time a page load by.
  function ready(parts) {
    return Promise.allSettled(parts).then(() => {
      if (document.body.dataset.ready) return;
      performance.mark("dashboard-ready");
      document.body.dataset.ready = "1";
    });
  }

  // The feed is closed when the page is left: a page kept in the back/forward cache would
  // otherwise hold its connection open, and after six pages the browser has no connection
  // left to this host (HTTP/1.1's limit) — the next page would never load. Back to a cached
  // page opens the feed again.
  if (document.getElementById("live") && document.body.dataset.live !== "off") {
    let feed = live();
    window.addEventListener("pagehide", () => feed.close());
    window.addEventListener("pageshow", (e) => { if (e.persisted) feed = live(); });
  }

  return {
    context, lang, t, read, send, fill, failed, cell, prepend, ready, emptyList, chart, chartBase,
    number: (v) => (v === null || v === undefined ? "—" : numbers.format(v)),
    percent: (v) => (v === null || v === undefined ? "—" : percents.format(v)),
    when: (iso) => (iso ? dates.format(new Date(iso)) : "—"),
    // A day (a chart's axis label), on China's calendar like every figure the API buckets.
    day: (iso) => (iso ? days.format(new Date(iso)) : "—"),
    // A GB/T 2260 code's name in the page's language when the frame sent one, else the code.
    place: (code) => (code && (context.places || {})[code]) || code || "—",
  };
})();
