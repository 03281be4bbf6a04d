// Risk by region: the region split one tier down (a province by city, a city by county) ×
// product category as a heat map, the same regions as a table of links (keyboard users drill
// there), the region's signals per week, and its latest signals, live. Every figure is the
// API's (/statistics/risk-by-region, /signals), so the account's scope is the API's.
"use strict";

(() => {
  const { t, read, failed, number, when, place } = Dashboard;
  const asked = document.getElementById("regions").dataset.region;
  const CATEGORIES = ["children", "appliances", "electronics", "textiles", "furniture",
    "vehicles", "sports", "kitchenware", "lighting", "personal_care"];
  const { chart } = Dashboard;
  let shown = null;  // the region the API shows (a wider one is narrowed to the account's area)

  // Significant digits of a GB/T 2260 code: 2 for a province, 4 for a city, 6 for a county.
  const prefixOf = (code) => (code.endsWith("0000") ? code.slice(0, 2)
    : code.endsWith("00") ? code.slice(0, 4) : code);
  const href = (code) => `/dashboard/regions?region=${encodeURIComponent(code)}`;
  const named = (code) => (place(code) === code ? code : `${place(code)} (${code})`);

  function link(code, text) {
    const a = document.createElement("a");
    a.href = href(code);
    a.textContent = text;
    a.dataset.region = code;
    return a;
  }

  // A part can be opened when it is a tier below the region shown (a county is its own part).
  const drillable = (report, code) => report.level !== "county" && code !== report.region;

  function crumbs(report) {
    const list = document.getElementById("crumbs");
    list.replaceChildren();
    for (const code of report.path) {
      const item = document.createElement("li");
      if (code.startsWith(prefixOf(report.scope))) {
        const a = link(code, place(code));
        if (code === report.region) a.setAttribute("aria-current", "page");
        item.appendChild(a);
      } else {
        item.textContent = place(code);  // above the account's area: named, not opened
      }
      list.appendChild(item);
    }
    document.getElementById("region-name").textContent = named(report.region);
  }

  function table(report) {
    const body = document.querySelector("#children tbody");
    body.replaceChildren();
    for (const part of report.children) {
      const row = body.insertRow();
      row.dataset.region = part.region;
      const head = document.createElement("th");
      head.scope = "row";
      if (drillable(report, part.region)) head.appendChild(link(part.region, place(part.region)));
      else if (report.level !== "county") head.textContent = `${place(part.region)} (${t("this level")})`;
      else head.textContent = place(part.region);
      row.appendChild(head);
      Dashboard.cell(row, number(part.signals), "num");
      const level = part.highest_risk_level;
      Dashboard.cell(row, level ? t(level) : "—", `level ${level || ""}`);
      Dashboard.cell(row, number(part.open_investigations), "num");
    }
    if (!report.children.length) Dashboard.fill("children", [], [{}, {}, {}, {}]);
  }


  function heatmap(report) {
    const parts = report.children.map((c) => c.region);
    const rows = [...CATEGORIES, ...report.categories.filter((c) => !CATEGORIES.includes(c))];
    const cells = new Map(report.cells.map((c) => [`${c.region}|${c.category}`, c]));
    const counts = [];
    parts.forEach((part, x) => rows.forEach((category, y) => {
      const cell = cells.get(`${part}|${category}`);
      counts.push([x, y, cell ? cell.signals : 0]);
    }));
    const most = Math.max(1, ...counts.map((d) => d[2]));
    // Figures keep a halo of the opposite colour, so they read on every shade of the ramp.
    const data = counts.map((value) => ({
      value,
      label: value[2] > most * 0.6
        ? { color: "#ffffff", textBorderColor: "#3a1208", textBorderWidth: 2 }
        : { color: "#1c2430", textBorderColor: "#ffffff", textBorderWidth: 2 },
    }));
    // Rich text, not HTML: region names and categories are never parsed as markup.
    const tip = (p) => {
      const cell = cells.get(`${parts[p.value[0]]}|${rows[p.value[1]]}`) || {};
      return `${place(parts[p.value[0]])} · ${t(rows[p.value[1]])}\n` +
        `${t("Risk signals")}: ${number(p.value[2])}\n` +
        `${t("Highest risk level")}: ${cell.highest_risk_level ? t(cell.highest_risk_level) : "—"}\n` +
        `${t("Open investigations")}: ${number(cell.open_investigations || 0)}`;
    };
    const map = chart("heatmap");
    map.setOption({
      ...Dashboard.chartBase(),
      tooltip: { renderMode: "richText", formatter: tip },
      grid: { left: 110, right: 20, top: 8, bottom: parts.length > 8 ? 96 : 72 },
      xAxis: {
        type: "category", data: parts, triggerEvent: true, splitArea: { show: true },
        axisLabel: { formatter: (code) => place(code), interval: 0, rotate: parts.length > 8 ? 30 : 0,
                     color: report.level === "county" ? "#1c2430" : "#1f5fa8", fontSize: 13 },
      },
      yAxis: { type: "category", data: rows, axisLabel: { formatter: (c) => t(c), color: "#1c2430" } },
      visualMap: {
        min: 0, max: most, orient: "horizontal", left: "center", bottom: 0, itemHeight: 160,
        text: [number(most), "0"], textStyle: { color: "#4d5866" },
        inRange: { color: ["#f4f6f8", "#f6d2b8", "#e39a62", "#c4552b", "#7a2412"] },
      },
      series: [{
        name: t("Risk signals"), type: "heatmap", data,
        label: { show: true, formatter: (p) => (p.value[2] ? number(p.value[2]) : "") },
        itemStyle: { borderColor: "#ffffff", borderWidth: 1 },
        emphasis: { itemStyle: { borderColor: "#1c2430", borderWidth: 2 } },
      }],
    });
    map.on("click", (p) => {
      const code = p.componentType === "xAxis" ? p.value
        : p.componentType === "series" ? parts[p.value[0]] : null;
      if (code && drillable(report, code)) window.location.assign(href(code));
    });
  }

  function timeline(report) {
    const line = chart("series-chart");
    line.setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      grid: { left: 44, right: 16, top: 16, bottom: 28 },
      xAxis: { type: "category", data: report.series.map((p) => p.period) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{
        name: t("Risk signals"), type: "line", showSymbol: false, smooth: false,
        data: report.series.map((p) => p.signals),
        itemStyle: { color: "#b5411f" }, areaStyle: { color: "#b5411f", opacity: 0.12 },
      }],
    });
    document.getElementById("series-total").textContent =
      `${t("Risk signals")}: ${number(report.total.signals)} · ` +
      `${t("Open investigations")}: ${number(report.total.open_investigations)}`;
  }

  const columns = (s) => [
    [when(s.raised_at), "nowrap"], [s.product_key, "key"], [t(s.category)], [t(s.hazard)],
    [t(s.risk_level), `level ${s.risk_level}`], [place(s.jurisdiction), "nowrap"],
  ];

  async function latest(region) {
    const page = await read(`/signals?region=${encodeURIComponent(region)}&limit=10`);
    const body = document.querySelector("#latest tbody");
    body.replaceChildren();
    for (const signal of page.items) {
      const row = body.insertRow();
      row.dataset.signalId = signal.signal_id;
      for (const [text, className] of columns(signal)) Dashboard.cell(row, text, className);
    }
    if (!page.items.length) Dashboard.fill("latest", [], columns({}));
  }

  // New signals inside the region shown arrive without a reload (live.py → dashboard.js);
  // the live feed already holds only what the account may see.
  document.addEventListener("live:signal", (e) => {
    const signal = e.detail;
    if (!shown || !signal.jurisdiction || !signal.jurisdiction.startsWith(prefixOf(shown))) return;
    const row = Dashboard.prepend("latest", columns(signal), 10);
    row.dataset.signalId = signal.signal_id;
  });

  async function load() {
    const query = new URLSearchParams({ bucket: "week" });
    if (asked) query.set("region", asked);
    const report = await read(`/statistics/risk-by-region?${query}`);
    shown = report.region;
    document.getElementById("drill-hint").hidden = report.level === "county";
    crumbs(report);
    table(report);
    heatmap(report);
    timeline(report);
    return report;
  }

  const first = load().catch((error) => {
    document.getElementById("region-name").textContent = t("Not found, or outside your area");
    failed("heatmap", error);
    throw error;
  });
  // Read at the same time as the figures: /signals narrows a region to the account's area
  // exactly as the figures do (and lists nothing for a region beside it).
  const signals = latest(asked || Dashboard.context.scope).catch((error) => failed("latest", error));
  Dashboard.ready([first, signals]);
})();
