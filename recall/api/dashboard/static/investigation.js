// One investigation: the evidence drawn against what was expected and the alarm threshold,
// what each piece says, the panel (assign it from here), the audit trail.
"use strict";

(() => {
  const { t, read, send, fill, when } = Dashboard;
  const id = document.getElementById("investigation").dataset.id;
  const path = `/investigations/${encodeURIComponent(id)}`;
  const EVENT_COLOURS = { injury_report: "#1f5fa8", sampling_result: "#b5411f" };

  // The product's own record: its score with each part's reason, and its events per day in
  // the reader's area (GET /products/{key}).
  function renderProduct(product) {
    const score = product.score;
    document.getElementById("score-value").textContent = score ? Dashboard.number(Math.round(score.score)) : "—";
    const level = document.getElementById("score-level");
    level.textContent = score && score.risk_level ? t(score.risk_level) : "";
    level.className = `level ${(score && score.risk_level) || ""}`;
    const why = document.getElementById("score-why");
    why.replaceChildren();
    for (const part of (score ? score.explanation : [])) {
      const item = document.createElement("li");
      item.textContent = part;
      why.appendChild(item);
    }
    if (!why.children.length) Dashboard.emptyList(why);
    const series = product.events;
    const container = document.getElementById("events-chart");
    if (!series) { container.textContent = t("Nothing to show"); return; }
    const kinds = Object.keys(series.counts).sort();
    const total = kinds.reduce((sum, k) => sum + series.counts[k].reduce((a, b) => a + b, 0), 0);
    container.dataset.total = String(total);
    Dashboard.chart(container).setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: series.days.map(Dashboard.day) },
      yAxis: { type: "value", minInterval: 1 },
      series: kinds.map((kind) => ({
        name: t(kind), type: "bar", stack: "events", data: series.counts[kind],
        itemStyle: { color: EVENT_COLOURS[kind] || "#8a8f98" },
      })),
    }, true);
    document.getElementById("events-note").textContent =
      `${t("Events")}: ${Dashboard.number(total)}` + (series.truncated ? ` · ${t("partial")}` : "");
  }

  function render(inv) {
    document.getElementById("product").textContent = inv.product_key;
    document.getElementById("facts").textContent =
      `${t(inv.hazard)} · ${t(inv.state)} · ${Dashboard.place(inv.jurisdiction)}`;
    const points = inv.evidence.filter((e) => e.observed !== null && e.observed !== undefined);
    const x = points.map((e) => when(e.occurred_at));
    Dashboard.chart("series-chart").setOption({
      ...Dashboard.chartBase(),
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: x },
      yAxis: { type: "value" },
      series: [
        { name: t("Observed"), type: "bar", barMaxWidth: 40, data: points.map((e) => e.observed), itemStyle: { color: "#b5411f" } },
        { name: t("Expected"), type: "line", symbolSize: 8, data: points.map((e) => e.expected), itemStyle: { color: "#1f5fa8" } },
        { name: t("Alarm threshold"), type: "line", symbolSize: 8, data: points.map((e) => e.threshold),
          lineStyle: { type: "dashed" }, itemStyle: { color: "#8a5a00" } },
      ],
    });
    fill("evidence", inv.evidence, [
      { value: (e) => when(e.occurred_at), className: "nowrap" },
      { value: (e) => t(e.kind) },
      { value: (e) => e.summary },
    ]);
    const experts = document.getElementById("experts");
    experts.replaceChildren();
    for (const expert of inv.expert_ids) {
      const item = document.createElement("li");
      item.textContent = expert;
      experts.appendChild(item);
    }
    if (!inv.expert_ids.length) Dashboard.emptyList(experts);
    document.getElementById("assign").hidden = !inv.allowed_actions.includes("assign");
    const concluding = inv.allowed_actions.includes("conclude");
    const recalling = inv.allowed_actions.includes("request_recall");
    document.getElementById("conclude-form").hidden = !concluding;
    document.getElementById("recall-form").hidden = !recalling;
    document.getElementById("decide").hidden = !(concluding || recalling);
    // Who owns it and why (docs/tiers.md): every assignment and move, with the rule's reason.
    document.getElementById("owner").textContent = inv.owner
      ? `${Dashboard.place(inv.owner)} · ${t(inv.tier)}`
      : t("not placed yet");
    fill("tier-moves", inv.tier_moves || [], [
      { value: (m) => when(m.at), className: "nowrap" },
      { value: (m) => (m.from_owner ? Dashboard.place(m.from_owner) : "—"), className: "nowrap" },
      { value: (m) => `${Dashboard.place(m.to_owner)} · ${t(m.tier)}`, className: "nowrap" },
      { value: (m) => t(m.rule) },
      { value: (m) => m.reason },
    ]);
    fill("audit", inv.audit, [
      { value: (a) => when(a.at), className: "nowrap" },
      { value: (a) => t(a.action) },
      { value: (a) => a.actor },
      { value: (a) => t(a.to_state) },
      { value: (a) => a.reason },
    ]);
  }

  document.getElementById("assign").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const status = document.getElementById("action-status");
    button.disabled = true;
    status.textContent = t("Assigning…");
    try {
      const answer = await send("POST", `${path}/assign`, {});
      render(answer.investigation);
      status.textContent = `${t("Panel assigned")}: ${answer.panel.join(", ")}`;
    } catch (error) {
      status.textContent = `${t("Could not load")}: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });

  // Decisions: conclude (a confirmed defect needs its level and hazard) and request a recall.
  // The API decides what is allowed; the forms show only what it allows now.
  const conclude = document.getElementById("conclude-form");
  const defectFacts = document.getElementById("defect-facts");
  conclude.addEventListener("change", () => {
    defectFacts.disabled = conclude.elements.decision.value !== "defect_confirmed";
  });

  async function decide(form, action, body) {
    const status = document.getElementById("decide-status");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = t("Sending…");
    try {
      render(await send("POST", `${path}/${action}`, body));
      status.textContent = t("Recorded");
      form.reset();
      defectFacts.disabled = true;
    } catch (error) {
      status.textContent = `${t("Not done")}: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  }

  conclude.addEventListener("submit", (event) => {
    event.preventDefault();
    const confirmed = conclude.elements.decision.value === "defect_confirmed";
    decide(conclude, "conclude", {
      decision: conclude.elements.decision.value,
      reason: document.getElementById("conclude-reason").value,
      ...(confirmed ? {
        risk_level: document.getElementById("risk-level").value,
        hazard_description: document.getElementById("hazard-description").value,
      } : {}),
    });
  });
  document.getElementById("recall-form").addEventListener("submit", (event) => {
    event.preventDefault();
    decide(event.currentTarget, "request-recall",
           { reason: document.getElementById("recall-reason").value });
  });

  Dashboard.ready([read(path).then((inv) => {
    render(inv);
    return read(`/products/${inv.product_key.split("/").map(encodeURIComponent).join("/")}`)
      .then(renderProduct)
      .catch((error) => (error.status === 404  // nothing scored, registered or reported yet
        ? renderProduct({ score: null, events: null })
        : Dashboard.failed("events-chart", error)));
  }).catch((error) => {
    document.getElementById("product").textContent = t("Not found, or outside your area");
    Dashboard.failed("series-chart", error);
  })]);
})();
