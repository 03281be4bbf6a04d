// The investigation queue: the API's keyset pages in the account's scope, sortable and
// filterable; each row opens the investigation's page.
"use strict";

(() => {
  const { t, read, when } = Dashboard;
  const body = document.querySelector("#queue tbody");
  const more = document.getElementById("more");
  let next = null;

  function query() {
    const params = new URLSearchParams({ limit: "50", sort: document.getElementById("sort").value });
    for (const state of document.getElementById("state").value.split(",").filter(Boolean)) {
      params.append("state", state);
    }
    return `/investigations?${params}`;
  }

  function add(items) {
    for (const i of items) {
      const row = body.insertRow();
      row.dataset.investigationId = i.investigation_id;
      Dashboard.cell(row, when(i.opened_at));
      const product = Dashboard.cell(row, "", "key");
      const link = document.createElement("a");
      link.href = `/dashboard/investigations/${encodeURIComponent(i.investigation_id)}`;
      link.textContent = i.product_key;
      product.appendChild(link);
      Dashboard.cell(row, t(i.hazard));
      Dashboard.cell(row, t(i.state));
      Dashboard.cell(row, (i.expert_ids || []).length ? i.expert_ids.join(", ") : "—");
      Dashboard.cell(row, Dashboard.place(i.jurisdiction), "nowrap");
      // The administration that owns it (分级监管): the tier rules' answer, moved up on escalation.
      Dashboard.cell(row, i.owner ? `${Dashboard.place(i.owner)} · ${t(i.tier)}` : t("not placed yet"), "nowrap");
    }
  }

  async function load(path, replace) {
    const page = await read(path);
    if (replace) body.replaceChildren();
    add(page.items);
    if (replace && !page.items.length) Dashboard.fill("queue", [], [{}]);
    next = page.next ? new URL(page.next, window.location.origin) : null;
    more.hidden = !next;
  }

  more.addEventListener("click", () => load(next.pathname + next.search, false));
  document.getElementById("filters").addEventListener("change", () => load(query(), true));
  document.addEventListener("live:investigation", (e) => {
    if (e.detail.action === "open") load(query(), true);
  });
  Dashboard.ready([load(query(), true).catch((error) => Dashboard.failed("queue", error))]);
})();
