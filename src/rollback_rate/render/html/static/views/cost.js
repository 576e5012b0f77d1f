/* Cost of rollbacks per period, when a cost model is configured: the report's SUMMARYs
   then carry `cost` (issue 10). Hidden while they do not. */
RR.register({
  id: "cost",
  title: "What rollbacks cost",
  when: () => true,
  load: async (ctx) => (ctx.report.overall.cost ? ctx.report : null),
  render(section, report) {
    const { el, fmt, COLOURS } = RR;
    const cost = report.overall.cost;
    section.append(el("p", { class: "lead" }, "Estimated cost of counted rollbacks: ",
      el("strong", { "data-field": "cost_total", text: fmt.money(cost) }),
      " (degraded service " + fmt.money({ ...cost, total: cost.degraded }) + ", triage " + fmt.money({ ...cost, total: cost.triage }) + ", fixed " + fmt.money({ ...cost, total: cost.fixed }) + ")"));
    const periods = report.periods.filter((p) => p.cost);
    if (!periods.length) return;
    const chart = el("div", { class: "chart", id: "rr-cost-chart" });
    section.append(chart);
    RR.plot(chart, [{ type: "bar", x: periods.map((p) => p.period), y: periods.map((p) => p.cost.total),
      marker: { color: COLOURS.orange }, text: periods.map((p) => fmt.money(p.cost)), textposition: "auto",
      hovertemplate: "%{x}: %{text}<extra></extra>" }], {
      xaxis: { type: "category" }, yaxis: { title: { text: cost.currency } },
    });
  },
});
