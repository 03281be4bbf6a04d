// One station: its facts and condition, its records per hour (48 h) or per day (30 days) —
// accepted and refused by reason, stacked —, its recent dead letters.
"use strict";

(() => {
  const { t, read, fill, when, number, percent } = Dashboard;
  const id = document.getElementById("station").dataset.id;
  const path = `/stations/${encodeURIComponent(id)}`;
  const ACCEPTED = "#1f5fa8";
  const REFUSED = ["#b5411f", "#d9822b", "#8a5a00", "#7a2e8a", "#a83264", "#c9a227", "#5c3d2e", "#e0604a"];
  const zone = "Asia/Shanghai";
  const labels = {
    hour: new Intl.DateTimeFormat(Dashboard.lang, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", timeZone: zone }),
    day: new Intl.DateTimeFormat(Dashboard.lang, { month: "2-digit", day: "2-digit", timeZone: zone }),
  };

  function facts(s) {
    document.getElementById("name").textContent = s.name || s.station_id;
    document.getElementById("summary").textContent =
      `${s.kind ? t(s.kind) : "—"} · ${Dashboard.place(s.jurisdiction)}`;
    document.getElementById("fact-id").textContent = s.station_id;
    document.getElementById("fact-kind").textContent = s.kind ? t(s.kind) : "—";
    document.getElementById("fact-region").textContent = Dashboard.place(s.jurisdiction);
    document.getElementById("fact-enabled").textContent =
      s.enabled === null || s.enabled === undefined ? "—" : t(s.enabled ? "Enabled" : "Disabled");
    document.getElementById("fact-seen").textContent =
      s.last_seen_at ? `${Stations.ago(s.last_seen_at)} · ${when(s.last_seen_at)}` : t("never");
    const condition = document.getElementById("fact-condition");
    condition.textContent = t(s.condition || "ok");
    condition.className = `condition ${s.condition || ""}`;
    document.getElementById("fact-window").textContent =
      `${t("Accepted")}: ${number(s.accepted)} · ${t("Refused")}: ${number(Stations.rejected(s))}` +
      ` (${percent(s.share_rejected)})`;
  }

  async function traffic(bucket) {
    const answer = await read(`${path}/traffic?bucket=${bucket}`);
    const x = answer.buckets.map((b) => labels[bucket].format(new Date(b.start)));
    const series = [
      { name: t("Accepted"), type: "bar", stack: "records", itemStyle: { color: ACCEPTED },
        data: answer.buckets.map((b) => b.accepted) },
      ...answer.reasons.map((reason, n) => ({
        name: t(reason), type: "bar", stack: "records", itemStyle: { color: REFUSED[n % REFUSED.length] },
        data: answer.buckets.map((b) => b.rejected[reason] || 0),
      })),
    ];
    const element = document.getElementById("traffic-chart");
    element.dataset.reasons = answer.reasons.join(" ");
    Dashboard.chart(element).setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: x },
      yAxis: { type: "value", minInterval: 1 },
      series,
    }, { replaceMerge: ["series"] });
    const refused = Object.entries(answer.rejected)
      .map(([reason, count]) => `${t(reason)} ${number(count)}`).join(" · ");
    document.getElementById("traffic-total").textContent =
      `${t("Accepted")}: ${number(answer.accepted)}` + (refused ? ` · ${t("Refused")}: ${refused}` : "");
    for (const button of document.querySelectorAll(".switch button")) {
      button.setAttribute("aria-pressed", String(button.dataset.bucket === bucket));
    }
  }

  async function letters() {
    const page = await read(`/dead-letters?station=${encodeURIComponent(id)}&limit=12`);
    fill("letters", page.items, [
      { value: (l) => when(l.received_at), className: "nowrap" },
      { value: (l) => t(l.reason), className: "nowrap" },
      { value: (l) => l.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ") || "—",
        className: "excerpt" },
    ]);
  }

  for (const button of document.querySelectorAll(".switch button")) {
    button.addEventListener("click", () => {
      traffic(button.dataset.bucket).catch((error) => {
        document.getElementById("traffic-total").textContent = `${t("Could not load")}: ${error.message}`;
      });
    });
  }

  Dashboard.ready([
    read(path).then(facts).catch(() => {
      document.getElementById("name").textContent = t("Not found, or outside your area");
    }),
    traffic("hour").catch((error) => Dashboard.failed("traffic-chart", error)),
    letters().catch((error) => Dashboard.failed("letters", error)),
  ]);
})();
