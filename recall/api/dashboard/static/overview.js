// Overview: leads by source per month (ECharts), top risks, the open queue, lagging recalls,
// the latest alerts — each read from the API in the signed-in account's scope.
"use strict";

(() => {
  const { t, read, fill, failed, number, percent, when } = Dashboard;

  async function leads() {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth() + 1, 1));
    const report = await read(`/statistics?group_by=month&from=${from.toISOString()}`);
    const months = [];  // every month of the year, also those without leads
    for (let d = new Date(from); d <= now; d.setUTCMonth(d.getUTCMonth() + 1)) {
      months.push(d.toISOString().slice(0, 7));
    }
    const byMonth = new Map(report.groups.map((g) => [g.month, g]));
    const series = [
      ["purchase_sampling", t("Purchase sampling"), "#b5411f"],
      ["injury_reports", t("Injury reports"), "#1f5fa8"],
      ["other", t("Other sources"), "#8a8f98"],
    ].map(([key, name, color]) => ({
      name, type: "bar", stack: "leads", itemStyle: { color },
      data: months.map((m) => (byMonth.get(m)?.leads[key]) || 0),
    }));
    const chart = echarts.init(document.getElementById("leads-chart"), null, { renderer: "svg" });
    chart.on("finished", () => { document.body.dataset.chartsDrawn = "1"; });
    chart.setOption({
      animation: !window.matchMedia("(prefers-reduced-motion: reduce)").matches,
      aria: { enabled: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: months },
      yAxis: { type: "value", minInterval: 1 },
      series,
    });
    window.addEventListener("resize", () => chart.resize());
    const total = report.total.leads;
    document.getElementById("leads-total").textContent =
      `${t("Purchase sampling")}: ${number(total.purchase_sampling || 0)} · ` +
      `${t("Injury reports")}: ${number(total.injury_reports || 0)}`;
  }

  async function risks() {
    const page = await read("/scores?sort=-score&limit=8");
    // The explanation's parts, without their parenthesised detail: what made the score.
    const why = (s) => (s.explanation || []).slice(0, 3)
      .map((part) => part.replace(/\s*\([^)]*\)/g, "")).join(" · ");
    fill("risks", page.items, [
      { value: (s) => s.product_key, className: "key" },
      { value: (s) => number(Math.round(s.score)), className: "num score" },
      { value: (s) => t(s.risk_level || "—"), className: (s) => `level ${s.risk_level || ""}` },
      { value: why, className: "why" },
    ]);
  }

  async function queue() {
    const page = await read("/investigations?state=opened&state=assigned&limit=8");
    fill("queue", page.items, [
      { value: (i) => when(i.opened_at) },
      { value: (i) => i.product_key },
      { value: (i) => t(i.hazard) },
      { value: (i) => t(i.state) },
      { value: (i) => i.jurisdiction },
    ]);
  }

  async function lagging() {
    const page = await read("/recalls?state=lagging&limit=8");
    fill("lagging", page.items, [
      { value: (r) => r.recall_id },
      { value: (r) => percent(r.raw_rate), className: "num" },
      { value: (r) => percent(r.target_rate), className: "num" },
      { value: (r) => r.jurisdiction },
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
    if (!page.items.length) list.textContent = t("Nothing to show");
  }

  // New investigations and alerts arrive without a reload (live.py → dashboard.js).
  document.addEventListener("live:investigation", (e) => {
    const i = e.detail;
    if (i.action !== "open") return;
    const row = Dashboard.prepend("queue", [[when(i.at)], [i.product_key], [t(i.hazard)],
                                            [t(i.state)], [i.jurisdiction]], 8);
    row.dataset.investigationId = i.investigation_id;
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
    list.prepend(item);
    while (list.children.length > 8) list.lastElementChild.remove();
  });

  Dashboard.ready([[leads, "leads-chart"], [risks, "risks"], [queue, "queue"],
                   [lagging, "lagging"], [alerts, "alerts"]]
    .map(([part, element]) => part().catch((error) => failed(element, error))));
})();
