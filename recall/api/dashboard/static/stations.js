// Stations: every station in the account's scope from GET /stations (all its pages), worst
// first — silent, then failing by share refused, then the rest — each linking to its page.
// `Stations` (the reading, ordering and cells) is shared with the overview's panel.
"use strict";

const Stations = (() => {
  const { t, read, when, percent, number } = Dashboard;
  const relative = new Intl.RelativeTimeFormat(Dashboard.lang, { numeric: "auto" });
  const RANK = { silent: 0, failing: 1, ok: 2, disabled: 3 };
  const MAX_PAGES = 20;  // 10,000 stations: far beyond a province's

  async function all() {
    const items = [];
    let path = "/stations?limit=500";
    for (let n = 0; path && n < MAX_PAGES; n += 1) {
      const page = await read(path);
      items.push(...page.items);
      const next = page.next ? new URL(page.next, window.location.origin) : null;
      path = next ? next.pathname + next.search : null;
    }
    return items;
  }

  // Silent first (the longest quiet first), then failing (the largest share refused first).
  function worstFirst(items) {
    const seen = (s) => (s.last_seen_at ? Date.parse(s.last_seen_at) : -Infinity);
    return [...items].sort((a, b) =>
      (RANK[a.condition] ?? 2) - (RANK[b.condition] ?? 2)
      || (a.condition === "silent" ? seen(a) - seen(b) : 0)
      || (b.share_rejected || 0) - (a.share_rejected || 0)
      || seen(a) - seen(b)
      || a.station_id.localeCompare(b.station_id));
  }

  function ago(iso) {
    if (!iso) return t("never");
    const seconds = (Date.parse(iso) - Date.now()) / 1000;
    const steps = [[60, "second"], [3600, "minute"], [86400, "hour"], [Infinity, "day"]];
    const [, unit] = steps.find(([limit]) => Math.abs(seconds) < limit);
    const size = { second: 1, minute: 60, hour: 3600, day: 86400 }[unit];
    return relative.format(Math.round(seconds / size), unit);
  }

  function rejected(s) {
    return Object.values(s.rejected || {}).reduce((a, b) => a + b, 0);
  }

  // A cell with a link to the station's page: its name (text), its id under it.
  function link(row, s) {
    const td = Dashboard.cell(row, "");
    const a = document.createElement("a");
    a.href = `/dashboard/stations/${encodeURIComponent(s.station_id)}`;
    a.textContent = s.name || s.station_id;
    const id = document.createElement("span");
    id.className = "station-id";
    id.textContent = s.station_id;
    td.append(a, id);
    return td;
  }

  function lastSeen(row, s) {
    const td = Dashboard.cell(row, ago(s.last_seen_at), "nowrap");
    if (s.last_seen_at) {
      const at = document.createElement("time");
      at.dateTime = s.last_seen_at;
      at.className = "absolute";
      at.textContent = when(s.last_seen_at);
      td.append(at);
    }
    return td;
  }

  function condition(row, s) {
    return Dashboard.cell(row, t(s.condition || "ok"), `condition ${s.condition || ""}`);
  }

  function render(tableId, items, columns) {
    const body = document.querySelector(`#${tableId} tbody`);
    if (!items.length) {
      Dashboard.fill(tableId, [], columns.map(() => ({})));
      return;
    }
    body.replaceChildren();
    for (const s of items) {
      const row = body.insertRow();
      row.dataset.stationId = s.station_id;
      row.dataset.condition = s.condition || "";
      for (const column of columns) column(row, s);
    }
  }

  const cells = {
    link, lastSeen, condition,
    kind: (row, s) => Dashboard.cell(row, s.kind ? t(s.kind) : "—"),
    region: (row, s) => Dashboard.cell(row, Dashboard.place(s.jurisdiction), "nowrap"),
    accepted: (row, s) => Dashboard.cell(row, number(s.accepted), "num"),
    rejected: (row, s) => Dashboard.cell(row, number(rejected(s)), "num"),
    share: (row, s) => Dashboard.cell(row, percent(s.share_rejected), "num"),
  };

  return { all, worstFirst, render, cells, ago, rejected };
})();

(() => {
  if (!document.getElementById("stations")) return;  // the overview borrows `Stations` only
  const { t, number } = Dashboard;
  const c = Stations.cells;

  async function load() {
    const items = Stations.worstFirst(await Stations.all());
    Stations.render("stations", items,
                    [c.link, c.kind, c.region, c.lastSeen, c.accepted, c.rejected, c.share, c.condition]);
    const count = (kind) => items.filter((s) => s.condition === kind).length;
    document.getElementById("summary").textContent =
      `${t("silent")}: ${number(count("silent"))} · ${t("failing")}: ${number(count("failing"))}` +
      ` · ${t("ok")}: ${number(count("ok"))}`;
  }

  Dashboard.ready([load().catch((error) => Dashboard.failed("stations", error))]);
})();
