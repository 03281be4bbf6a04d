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

  async function read(path) {
    const response = await fetch(path, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.status === 401) {
      window.location.assign("/dashboard/login");
      throw new Error("signed out");
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || `${response.status}`);
    }
    return response.json();
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
      for (const column of columns) cell(row, column.value(item), column.className);
    }
  }

  function failed(elementId, error) {
    const element = document.getElementById(elementId);
    const note = document.createElement("p");
    note.className = "error";
    note.setAttribute("role", "alert");
    note.textContent = `${t("Could not load")}: ${error.message}`;
    element.replaceWith(note);
  }

  return {
    context, lang, t, read, fill, failed, cell,
    number: (v) => (v === null || v === undefined ? "—" : numbers.format(v)),
    percent: (v) => (v === null || v === undefined ? "—" : percents.format(v)),
    when: (iso) => (iso ? dates.format(new Date(iso)) : "—"),
  };
})();
