// One recall: the correction curve per supply level against the target (rate and date), the
// forecast ahead of it with its 80 % band, reports and deadlines, incidents before and after the
// start, residual risk, the evaluation, the closure report and the regulator's actions. Every
// figure is the API's (GET /recalls/{id}); alerts about this recall arrive live.
"use strict";

(() => {
  const { t, read, send, fill, when, number, percent, place } = Dashboard;
  const id = document.getElementById("recall").dataset.id;
  const path = `/recalls/${encodeURIComponent(id)}`;
  const COLORS = { overall: "#13304f", consumer: "#1f5fa8", retailer: "#2d7a4b",
                   distributor: "#8a5a00", manufacturer: "#7a3e9d" };
  const days = new Intl.DateTimeFormat(Dashboard.lang, { dateStyle: "medium", timeZone: "Asia/Shanghai" });
  const decimal = new Intl.NumberFormat(Dashboard.lang, { maximumFractionDigits: 1 });
  const day = (iso) => (iso ? days.format(new Date(iso)) : "—");
  const fmt = (text, values) => text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  const put = (elementId, value) => { document.getElementById(elementId).textContent = value; };
  const chart = Dashboard.chart;

  function bandName(f) {
    return fmt(t("{level} band"), { level: percent(f && f.coverage !== undefined ? f.coverage : 0.8) });
  }

  function interval(f, coverage) {
    return `${percent(f.rate ?? f.final_rate)} (${bandName({ coverage })} ${percent(f.low80)}–${percent(f.high80)})`;
  }

  // Each level's cumulative correction rate at each report (one point per report), the target
  // rate and date as marker lines, and the forecast from the last report to the target date
  // with its band (a transparent base plus the band's height, stacked) and its interval at the
  // target date drawn as an error bar.
  function drawCurve(r) {
    const scopes = new Map();
    for (const report of r.reports) {
      for (const rate of report.rates) {
        if (!scopes.has(rate.scope)) scopes.set(rate.scope, []);
        scopes.get(rate.scope).push([report.period_end, rate.raw_rate]);
      }
    }
    const levels = [...scopes.keys()].filter((s) => s !== "overall");
    if (levels.length > 1 || !levels.length) levels.push("overall");  // one level: overall is it
    const coverage = r.forecast ? r.forecast.coverage : 0.8;
    const band = r.forecast_band || [];
    const series = levels.map((scope, i) => ({
      name: t(scope), type: "line", data: scopes.get(scope) || [],
      symbolSize: 7, lineStyle: { width: scope === "overall" ? 3 : 2 },
      itemStyle: { color: COLORS[scope] || "#555" },
      markLine: i ? undefined : {
        symbol: "none", silent: true, lineStyle: { color: "#b5411f", type: "dashed" },
        data: [
          { yAxis: r.target_rate, label: { formatter: `${t("Target rate")} ${percent(r.target_rate)}`, position: "insideStartTop" } },
          { xAxis: r.target_date, label: { formatter: `${t("Target date")} ${day(r.target_date)}` } },
        ],
      },
    }));
    if (band.length) {
      const name = bandName({ coverage });
      const last = band[band.length - 1];
      series.push(
        { name, type: "line", stack: "band", symbol: "none", silent: true, tooltip: { show: false },
          lineStyle: { opacity: 0 }, data: band.map((p) => [p.at, p.low80]) },
        { name, type: "line", stack: "band", symbol: "none", silent: true, tooltip: { show: false },
          lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(31, 95, 168, 0.18)" },
          itemStyle: { color: "rgba(31, 95, 168, 0.35)" },
          data: band.map((p) => [p.at, p.high80 - p.low80]) },
        { name: t("Forecast"), type: "line", symbol: "none", lineStyle: { type: "dashed", width: 2 },
          itemStyle: { color: "#1f5fa8" }, data: band.map((p) => [p.at, p.rate]),
          markLine: { symbol: ["none", "none"], silent: true, lineStyle: { color: "#13304f", width: 3, type: "solid" },
                      label: { show: false },
                      data: [[{ coord: [last.at, last.low80] }, { coord: [last.at, last.high80] }]] },
          markPoint: { symbol: "circle", symbolSize: 10, itemStyle: { color: "#13304f" },
                       label: { position: "left", distance: 10, color: "#1c2430", backgroundColor: "#ffffff",
                                padding: [2, 6], borderRadius: 3, formatter: interval(last, coverage) },
                       data: [{ coord: [last.at, last.rate] }] } },
      );
    }
    const element = document.getElementById("curve-chart");
    const plotted = Object.fromEntries(levels.map((s) => [s, scopes.get(s) || []]));
    element.dataset.points = JSON.stringify(plotted);
    element.dataset.band = JSON.stringify(band.map((p) => [p.at, p.low80, p.rate, p.high80]));
    const latest = [r.target_date, ...band.map((p) => p.at), ...r.reports.map((p) => p.period_end)]
      .map((iso) => Date.parse(iso)).reduce((a, b) => Math.max(a, b));
    chart("curve-chart").setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis", valueFormatter: (v) => percent(v) },
      legend: { top: 0 },
      grid: { left: 56, right: 32, top: 40, bottom: 32 },
      xAxis: { type: "time", min: r.start, max: latest + 7 * 86400000 },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => percent(v) } },
      series,
    }, true);
    put("forecast-note", forecastNote(r, coverage));
  }

  function forecastNote(r, coverage) {
    const target = r.target_forecast;
    if (target) {
      return fmt(t("Forecast at the target date: {rate} ({level} band {low}–{high}), from {n} reports"), {
        rate: percent(target.rate), level: percent(coverage), low: percent(target.low80),
        high: percent(target.high80), n: number(r.forecast ? r.forecast.n_points : r.reports.length),
      });
    }
    if (!r.forecast) return t("No forecast: no report yet and no finished recalls of this category to learn from");
    return t("The target date has passed or the recall owes no more reports: the curve is the outcome");
  }

  function figures(r) {
    const overall = r.rates.find((x) => x.scope === "overall") || {};
    put("f-raw", percent(overall.raw_rate));
    put("f-adjusted", percent(overall.adjusted_rate));
    put("f-target", percent(r.target_rate));
    put("f-target-date", day(r.target_date));
    put("f-target-forecast", r.target_forecast ? interval(r.target_forecast, r.forecast.coverage) : "—");
    put("f-forecast", r.forecast
      ? fmt(t("{rate} ({level} band {low}–{high}) at day {day} after the start"), {
        rate: percent(r.forecast.final_rate), level: percent(r.forecast.coverage),
        low: percent(r.forecast.low80), high: percent(r.forecast.high80), day: number(Math.round(r.forecast.horizon_days)),
      })
      : "—");
    const verdict = document.getElementById("f-verdict");
    verdict.textContent = r.verdict ? t(r.verdict) : "—";
    verdict.className = r.verdict ? `verdict ${r.verdict}` : "";
    const reasons = document.getElementById("reasons");
    reasons.replaceChildren();
    for (const reason of (r.evaluation ? r.evaluation.reasons : [])) {
      const item = document.createElement("li");
      item.textContent = reason;
      reasons.appendChild(item);
    }
  }

  function badges(r) {
    const holder = document.getElementById("badges");
    holder.replaceChildren();
    const badge = (text, kind) => {
      const span = document.createElement("span");
      span.className = `badge ${kind}`;
      span.textContent = text;
      holder.appendChild(span);
    };
    badge(t(r.state), `state ${r.state}`);
    if (r.verdict) badge(t(r.verdict), `verdict ${r.verdict}`);
    if (r.deadlines.some((d) => d.status === "overdue")) badge(t("Report overdue"), "overdue");
    put("facts", [r.recall_id, t(r.kind), t(r.hazard), t(r.risk_level), place(r.jurisdiction),
      `${day(r.start)} → ${day(r.target_date)}`].join(" · "));
  }

  function reports(r) {
    const status = new Map(r.deadlines.map((d) => [d.sequence, d.status]));
    const overall = (report) => report.rates.find((x) => x.scope === "overall") || {};
    fill("reports", r.reports, [
      { value: (p) => number(p.sequence), className: "num" },
      { value: (p) => `${day(p.period_start)} – ${day(p.period_end)}`, className: "nowrap" },
      { value: (p) => when(p.submitted_at), className: "nowrap" },
      { value: (p) => t(status.get(p.sequence) || "unscheduled"), className: (p) => `status ${status.get(p.sequence) || ""}` },
      { value: (p) => number(overall(p).notified), className: "num" },
      { value: (p) => number(overall(p).corrected), className: "num" },
      { value: (p) => number(overall(p).unreachable), className: "num" },
      { value: (p) => percent(overall(p).raw_rate), className: "num" },
      { value: (p) => percent(overall(p).adjusted_rate), className: "num" },
    ]);
    const rows = document.querySelectorAll("#reports tbody tr");
    r.reports.forEach((p, i) => { if (rows[i]) rows[i].dataset.sequence = String(p.sequence); });
  }

  function deadlines(r) {
    fill("deadlines", r.deadlines, [
      { value: (d) => number(d.sequence), className: "num" },
      { value: (d) => day(d.due), className: "nowrap" },
      { value: (d) => t(d.status), className: (d) => `status ${d.status}` },
      { value: (d) => when(d.submitted_at), className: "nowrap" },
      { value: (d) => (d.days_late === null ? "—" : `${decimal.format(d.days_late)} ${t("days")}`), className: "num" },
    ]);
    const list = document.getElementById("referrals");
    list.replaceChildren();
    for (const referral of r.referrals) {
      const item = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = referral.referred_at;
      time.textContent = when(referral.referred_at);
      const what = document.createElement("span");
      const why = referral.refused ? t("The firm refused")
        : `${t("Missed reports")}: ${referral.missed_sequences.join(", ")}`;
      what.textContent = `${t("referral")} · ${why}`;
      item.append(time, what);
      list.appendChild(item);
    }
  }

  function levels(r) {
    fill("levels", r.rates, [
      { value: (x) => t(x.scope), className: (x) => (x.scope === "overall" ? "total" : "") },
      { value: (x) => number(x.affected), className: "num" },
      { value: (x) => number(x.notified), className: "num" },
      { value: (x) => number(x.corrected), className: "num" },
      { value: (x) => number(x.unreachable), className: "num" },
      { value: (x) => percent(x.raw_rate), className: "num" },
      { value: (x) => percent(x.adjusted_rate), className: "num" },
    ]);
  }

  const perThousand = (rate) => (rate === null || rate === undefined ? t("not yet measurable")
    : `${decimal.format(rate * 1000)} ${t("per 1,000 unit-years")}`);

  function drawIncidents(r) {
    const post = r.post_recall;
    const periods = post ? post.periods : [];
    const labels = periods.map((p) => day(p.start));
    const firstAfter = periods.findIndex((p) => p.after_start);
    chart("incidents-chart").setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: t("Injuries"), type: "bar", stack: "n", data: periods.map((p) => p.injuries), itemStyle: { color: "#b5411f" },
          markArea: firstAfter < 0 ? undefined : { silent: true, itemStyle: { color: "rgba(19, 48, 79, 0.07)" },
            label: { color: "#1c2430", formatter: t("After the start") },
            data: [[{ xAxis: labels[firstAfter] }, { x: document.getElementById("incidents-chart").clientWidth - 16 }]] } },
        { name: t("Failed samples"), type: "bar", stack: "n", data: periods.map((p) => p.sampling_failures), itemStyle: { color: "#8a5a00" } },
      ],
    }, true);
    document.getElementById("incidents-chart").dataset.periods = JSON.stringify(
      periods.map((p) => [p.start, p.injuries, p.sampling_failures, p.after_start]));
    put("i-before", post ? `${number(post.before)} (${perThousand(post.rate_before)})` : "—");
    put("i-after", post ? `${number(post.after)} (${perThousand(post.rate_after)})` : "—");
    put("i-change", post && post.change !== null ? `${post.change > 0 ? "+" : ""}${percent(post.change)}` : "—");
    const list = document.getElementById("ineffective");
    list.replaceChildren();
    for (const reason of (post ? post.ineffective : [])) {
      const item = document.createElement("li");
      item.className = "warning";
      item.textContent = reason;
      list.appendChild(item);
    }
  }

  function residual(r) {
    const risk = r.residual_risk;
    put("r-units", risk ? number(risk.uncorrected_units) : "—");
    put("r-incidents", risk ? number(risk.incidents) : "—");
    put("r-expected", risk
      ? `${decimal.format(risk.expected_per_year)} (${percent(risk.confidence)}: ${decimal.format(risk.expected_low)}–${decimal.format(risk.expected_high)})`
      : "—");
  }

  function history(r) {
    fill("history", r.history, [
      { value: (h) => when(h.when), className: "nowrap" },
      { value: (h) => (h.from_state ? `${t(h.from_state)} → ${t(h.to_state)}` : t(h.to_state)), className: "nowrap" },
      { value: (h) => h.who },
      { value: (h) => h.why },
    ]);
  }

  function actions(r) {
    document.getElementById("evaluate").hidden = !r.allowed_actions.includes("evaluate");
    document.getElementById("close").hidden = !r.allowed_actions.includes("close");
    const closure = document.getElementById("closure");
    closure.hidden = !r.closure_report;
    if (r.closure_report) {
      document.getElementById("closure-html").href = r.closure_report;
      document.getElementById("closure-pdf").href = `${r.closure_report}?format=pdf`;
    }
  }

  function render(r) {
    put("title", r.title || r.recall_id);
    badges(r);
    drawCurve(r);
    figures(r);
    reports(r);
    deadlines(r);
    levels(r);
    drawIncidents(r);
    residual(r);
    history(r);
    actions(r);
  }

  const load = () => read(path).then(render);

  async function act(button, busy, request, done) {
    const status = document.getElementById("action-status");
    button.disabled = true;
    status.textContent = t(busy);
    try {
      await request();
      status.textContent = t(done);
      await load();
    } catch (error) {
      status.textContent = `${t("Could not load")}: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  document.getElementById("evaluate").addEventListener("click", (event) => {
    act(event.currentTarget, "Evaluating…", () => send("POST", `${path}/evaluate`, {}), "Evaluated");
  });
  document.getElementById("close").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = document.getElementById("close-reason").value.trim();
    if (!reason) {
      put("action-status", t("Enter a reason"));
      return;
    }
    const button = event.currentTarget.querySelector("button");
    act(button, "Closing…", () => send("POST", `${path}/close`, { reason }), "Closed");
  });

  // The alerts about this recall (GET /alerts?subject=<id>), then each new one live — shown at
  // once, and the page re-read, since deadlines, state and figures may have moved with it.
  function alertItem(alert, fresh) {
    const item = document.createElement("li");
    item.className = `${fresh ? "new " : ""}${alert.severity || ""}`;
    item.dataset.kind = alert.kind || "";
    const time = document.createElement("time");
    time.dateTime = alert.at || "";
    time.textContent = when(alert.at);
    const title = document.createElement("span");
    title.textContent = ` ${t(alert.kind)} · ${alert.title || ""}`;
    item.append(time, title);
    return item;
  }

  async function alerts() {
    const page = await read(`/alerts?subject=${encodeURIComponent(id)}&limit=10`);
    const list = document.getElementById("alerts");
    if (!page.items.length) Dashboard.emptyList(list);
    else list.replaceChildren(...page.items.map((a) => alertItem(a, false)));
  }

  document.addEventListener("live:alert", (e) => {
    const alert = e.detail;
    if (alert.subject !== id) return;
    const list = document.getElementById("alerts");
    list.querySelector("li.empty")?.remove();
    list.prepend(alertItem(alert, true));
    while (list.children.length > 10) list.lastElementChild.remove();
    load().catch(() => {});
  });

  const first = load().then(() => alerts().catch((error) => Dashboard.failed("alerts", error)));
  Dashboard.ready([first.catch((error) => {
    put("title", t("Not found, or outside your area"));
    document.querySelector("#recall .grid").hidden = true;
    document.getElementById("title").dataset.error = error.message;
  })]);
})();
