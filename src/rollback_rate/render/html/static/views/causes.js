/* Root causes as a Pareto chart: counted rollbacks per cause, largest first, with the
   cumulative share. From the report's root_causes (GET /api/v1/report). */
RR.register({
  id: "causes",
  title: "Where rollbacks come from",
  when: () => true,
  load: async (ctx) => ctx.report.overall.root_causes,
  render(section, causes) {
    const { el, COLOURS } = RR;
    if (!causes.length) {
      section.append(el("p", { class: "empty", text: "No rollbacks within the window." }));
      return;
    }
    const total = causes.reduce((sum, c) => sum + c.count, 0);
    let running = 0;
    const cumulative = causes.map((c) => ((running += c.count) / total) * 100);
    const labels = causes.map((c) => RR.plotText(c.cause));
    const chart = el("div", { class: "chart", id: "rr-causes-chart", role: "img", "aria-label": "Rollbacks per root cause" });
    section.append(chart);
    RR.plot(chart, [
      { type: "bar", name: "rollbacks", x: labels, y: causes.map((c) => c.count), marker: { color: COLOURS.vermillion },
        text: causes.map((c) => String(c.count)), textposition: "auto", hovertemplate: "%{x}: %{y} rollbacks<extra></extra>" },
      { type: "scatter", mode: "lines+markers+text", name: "cumulative share", x: labels, y: cumulative, yaxis: "y2",
        line: { color: COLOURS.blue }, text: cumulative.map((v) => RR.fixed(v, 0) + "%"), textposition: "top center",
        hovertemplate: "up to %{x}: %{y:.1f}% of rollbacks<extra></extra>" },
    ], {
      legend: { orientation: "h", x: 0, y: 1.15 },
      xaxis: { type: "category", tickangle: -30, automargin: true },
      yaxis: { title: { text: "rollbacks" }, rangemode: "tozero" },
      yaxis2: { title: { text: "cumulative %" }, overlaying: "y", side: "right", range: [0, 110], showgrid: false },
    });
  },
});
