// Overview: leads by source per month (ECharts), events per minute in the last hour, silent or
// failing stations, new risk signals, top risks, the open queue, lagging recalls, the latest
// alerts — each read from the API in the signed-in account's scope, all at once.
"use strict";

(() => {
  const { t, read, fill, failed, number, percent, when } = Dashboard;

  async function leads() {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth() + 1, 1));
    const report = await read(`/statistics/leads?from=${from.toISOString()}`);
    const months = [];  // every month of the year, also those without leads
    for (let d = new Date(from); d <= now; d.setUTCMonth(d.getUTCMonth() + 1)) {
      months.push(d.toISOString().slice(0, 7));
    }
    const byMonth = new Map(report.months.map((m) => [m.month, m]));
    const series = [
      ["purchase_sampling", t("Purchase sampling"), "#b5411f"],
      ["injury_reports", t("Injury reports"), "#1f5fa8"],
      ["media", t("Media reports"), "#6a4c93"],
      ["complaints", t("Consumer complaints"), "#0f7c8c"],
      ["other", t("Other sources"), "#8a8f98"],
    ].map(([key, name, color]) => ({
      name, type: "bar", stack: "leads", itemStyle: { color },
      data: months.map((m) => (byMonth.get(m)?.leads[key]) || 0),
    }));
    Dashboard.chart("leads-chart").setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series,
    });
    const total = report.total;
    document.getElementById("leads-total").textContent =
      `${t("Purchase sampling")}: ${number(total.purchase_sampling || 0)} · ` +
      `${t("Injury reports")}: ${number(total.injury_reports || 0)}`;
  }

  // Events per minute in the last hour, by source or by station kind, with dead letters.
  const minute = new Intl.DateTimeFormat(Dashboard.lang, { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });
  const SOURCES = [["injury_reports", "Injury reports", "#1f5fa8"], ["purchase_sampling", "Purchase sampling", "#2d7a4b"],
                   ["other", "Other sources", "#8a8f98"]];
  const KIND_COLOURS = ["#1f5fa8", "#2d7a4b", "#6a4c93", "#0f7c8c", "#8a8f98", "#5b6b2e", "#3f5f8f", "#7d5a3c", "#4a7a9a"];
  let rate = null;

  function drawIntake(split) {
    const bars = split === "kind"
      ? Object.entries(rate.by_kind).map(([kind, data], n) => [t(kind), data, KIND_COLOURS[n % KIND_COLOURS.length]])
      : SOURCES.map(([key, name, colour]) => [t(name), rate.by_source[key], colour]);
    const series = bars.map(([name, data, color]) => ({ name, type: "bar", stack: "events", itemStyle: { color }, data }));
    series.push({ name: t("Dead letters"), type: "line", data: rate.rejected, itemStyle: { color: "#b5411f" },
                  lineStyle: { type: "dashed" }, symbol: "none" });
    Dashboard.chart("intake-chart").setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: rate.minutes.map((m) => minute.format(new Date(m))) },
      yAxis: { type: "value", minInterval: 1 },
      series,
    }, { replaceMerge: ["series"] });
    for (const button of document.querySelectorAll("[data-split]")) {
      button.setAttribute("aria-pressed", String(button.dataset.split === split));
    }
  }

  async function intake() {
    rate = await read("/statistics/intake-rate?minutes=60");
    const chart = document.getElementById("intake-chart");
    chart.dataset.accepted = String(rate.accepted_total);
    chart.dataset.rejected = String(rate.rejected_total);
    drawIntake("source");
    document.getElementById("intake-total").textContent =
      `${t("Accepted")}: ${number(rate.accepted_total)} · ${t("Dead letters")}: ${number(rate.rejected_total)}`;
    for (const button of document.querySelectorAll("[data-split]")) {
      button.addEventListener("click", () => drawIntake(button.dataset.split));
    }
  }

  async function troubled() {
    const worst = Stations.worstFirst(await Stations.all())
      .filter((s) => s.condition === "silent" || s.condition === "failing");
    const c = Stations.cells;
    Stations.render("troubled", worst.slice(0, 6), [c.link, c.condition, c.lastSeen, c.share]);
    const count = (kind) => number(worst.filter((s) => s.condition === kind).length);
    document.getElementById("troubled-summary").textContent =
      `${t("silent")}: ${count("silent")} · ${t("failing")}: ${count("failing")}`;
  }

  const signalRow = (s) => [[when(s.raised_at), "nowrap"], [s.product_key, "key"], [t(s.hazard)],
                            [t(s.risk_level || "—"), `level ${s.risk_level || ""}`], [t(s.method)],
                            [Dashboard.place(s.jurisdiction), "nowrap"]];

  async function signals() {
    const page = await read("/signals?limit=8");
    const body = document.querySelector("#signals tbody");
    body.replaceChildren();
    for (const s of page.items) {
      const row = body.insertRow();
      row.dataset.signalId = s.signal_id;
      for (const [text, className] of signalRow(s)) Dashboard.cell(row, text, className);
    }
    if (!page.items.length) fill("signals", [], [{}, {}, {}, {}, {}, {}]);
  }

  // This week's events against the week before: ↑ rising, ↓ falling, → level.
  const trend = (s) => {
    if (!s.trend) return "—";
    const { last_7_days: last, previous_7_days: before } = s.trend;
    const arrow = last > before ? "↑" : last < before ? "↓" : "→";
    return `${arrow} ${number(last)} (${number(before)})`;
  };

  async function risks() {
    const page = await read("/scores?sort=-score&limit=8");
    // The explanation's parts, without their parenthesised detail: what made the score.
    const why = (s) => (s.explanation || []).slice(0, 3)
      .map((part) => part.replace(/\s*\([^)]*\)/g, "")).join(" · ");
    fill("risks", page.items, [
      { value: (s) => s.product_key, className: "key" },
      { value: (s) => number(Math.round(s.score)), className: "num score" },
      { value: (s) => t(s.risk_level || "—"), className: (s) => `level ${s.risk_level || ""}` },
      { value: trend, className: "num nowrap" },
      { value: why, className: "why" },
    ]);
  }

  async function queue() {
    const page = await read("/investigations?state=opened&state=assigned&limit=8");
    fill("queue", page.items, [
      { value: (i) => when(i.opened_at) },
      { value: (i) => i.product_key, className: "key" },
      { value: (i) => t(i.hazard) },
      { value: (i) => t(i.state) },
      { value: (i) => Dashboard.place(i.jurisdiction) },
    ]);
  }

  // How long the open queue has waited, by state: the old ones are the ones to chase.
  async function ages() {
    const report = await read("/statistics/open-investigations");
    const colours = { opened: "#b5411f", assigned: "#1f5fa8" };
    Dashboard.chart("ages-chart").setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 96, right: 16, top: 30, bottom: 24 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: report.bands.map((b) => t(b)), inverse: true },
      series: Object.entries(report.counts).map(([state, counts]) => ({
        name: t(state), type: "bar", stack: "ages", data: counts,
        itemStyle: { color: colours[state] || "#8a8f98" },
      })),
    });
    const oldest = report.oldest_opened_at
      ? ` · ${t("Oldest opened")}: ${when(report.oldest_opened_at)}` : "";
    document.getElementById("ages-note").textContent =
      `${t("Open")}: ${number(report.total)}${oldest}`;
  }

  async function lagging() {
    const page = await read("/recalls?state=lagging&limit=8");
    fill("lagging", page.items, [
      { value: (r) => r.recall_id },
      { value: (r) => percent(r.raw_rate), className: "num" },
      { value: (r) => percent(r.target_rate), className: "num" },
      { value: (r) => Dashboard.place(r.jurisdiction) },
    ]);
  }

  async function alerts() {
    const page = await read("/alerts?limit=8");
    const list = document.getElementById("alerts");
    list.replaceChildren();
    for (const alert of page.items) {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = alert.at || "";
      time.textContent = when(alert.at);
      const title = document.createElement("span");
      title.textContent = ` ${alert.title || t(alert.kind)}`;
      item.append(time, title);
      list.appendChild(item);
    }
    if (!page.items.length) Dashboard.emptyList(list);
  }

  // New investigations and alerts arrive without a reload (live.py → dashboard.js).
  document.addEventListener("live:investigation", (e) => {
    const i = e.detail;
    if (i.action !== "open") return;
    const row = Dashboard.prepend("queue", [[when(i.at)], [i.product_key, "key"], [t(i.hazard)],
                                            [t(i.state)], [Dashboard.place(i.jurisdiction)]], 8);
    row.dataset.investigationId = i.investigation_id;
  });
  document.addEventListener("live:signal", (e) => {
    const row = Dashboard.prepend("signals", signalRow(e.detail), 8);
    row.dataset.signalId = e.detail.signal_id;
  });
  document.addEventListener("live:alert", (e) => {
    const list = document.getElementById("alerts");
    const item = document.createElement("li");
    item.className = "new";
    const time = document.createElement("time");
    time.textContent = when(e.detail.at);
    const title = document.createElement("span");
    title.textContent = ` ${e.detail.title || t(e.detail.kind)}`;
    item.append(time, title);
    list.querySelector("li.empty")?.remove();
    list.prepend(item);
    while (list.children.length > 8) list.lastElementChild.remove();
  });

  Dashboard.ready([[leads, "leads-chart"], [intake, "intake-chart"], [troubled, "troubled"],
                   [signals, "signals"], [risks, "risks"], [queue, "queue"], [ages, "ages-chart"],
                   [lagging, "lagging"], [alerts, "alerts"]]
    .map(([part, element]) => part().catch((error) => failed(element, error))));
})();
