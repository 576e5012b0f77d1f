/* Trend: the rate per week or month with its 95% interval as a band, the 5/10/20% band
   lines, and deployments per period as bars behind it. From GET /api/v1/report?period=. */
RR.register({
  id: "trend",
  title: "Is it getting better",
  when: () => true,
  load: async (ctx) => (ctx.report.periods.length ? ctx.report.periods : null),
  render(section, periods, ctx) {
    const { fmt, COLOURS } = RR;
    const x = periods.map((p) => p.period);
    const hover = periods.map((p) => p.period + ": " + fmt.pct(p.rollback_rate) + " (95% CI " + fmt.ci(p.ci95) + ")<br>" +
      p.rollbacks + " of " + p.settled + " settled rolled back; " + p.deployments + " deployed, " + p.pending + " pending" +
      (p.band && RR.isSmall(p) ? "<br>small sample" : ""));
    const traces = [
      { type: "bar", name: "deployments", x, y: periods.map((p) => p.deployments), yaxis: "y2",
        marker: { color: COLOURS.grey, opacity: 0.35 }, hovertemplate: "%{x}: %{y} deployed<extra></extra>" },
      { type: "scatter", mode: "lines", name: "95% interval, upper", x, y: periods.map((p) => (p.ci95 ? p.ci95[1] : null)),
        line: { width: 0 }, showlegend: false, hoverinfo: "skip" },
      { type: "scatter", mode: "lines", name: "95% interval", x, y: periods.map((p) => (p.ci95 ? p.ci95[0] : null)),
        line: { width: 0 }, fill: "tonexty", fillcolor: "rgba(0,114,178,0.18)", hoverinfo: "skip" },
      { type: "scatter", mode: "lines+markers", name: "rollback rate", x, y: periods.map((p) => p.rollback_rate),
        line: { color: COLOURS.blue, width: 2 }, marker: { size: 7 }, text: hover, hovertemplate: "%{text}<extra></extra>" },
    ];
    const lines = [[5, "5%: excellent below", COLOURS.green], [10, "10%: acceptable below", COLOURS.orange], [20, "20%: high risk above", COLOURS.vermillion]];
    const top = Math.max(25, ...periods.map((p) => (p.ci95 ? p.ci95[1] : 0)));
    const chart = RR.el("div", { class: "chart", id: "rr-trend-chart", role: "img", "aria-label": "Rollback rate per " + (ctx.params.period || "month") });
    section.append(chart);
    RR.plot(chart, traces, {
      legend: { orientation: "h", x: 0, y: 1.12 },
      xaxis: { type: "category", title: { text: ctx.params.period || "month" } },
      yaxis: { title: { text: "rollback rate, %" }, range: [0, Math.min(100, top * 1.05)], rangemode: "tozero" },
      yaxis2: { title: { text: "deployments" }, overlaying: "y", side: "right", rangemode: "tozero", showgrid: false },
      shapes: lines.map(([y, , colour]) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y, line: { color: colour, dash: "dash", width: 1 } })),
      annotations: lines.map(([y, label, colour]) => ({ xref: "paper", x: 0, y, text: label, showarrow: false, xanchor: "left", yanchor: "bottom", font: { size: 10, color: colour } })),
    });
  },
});
