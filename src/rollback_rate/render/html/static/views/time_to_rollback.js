/* Time to rollback: rolled-back deployments per bucket of hours after deployment, the
   window marked; late rollbacks beyond it. From GET /api/v1/time-to-rollback. */
RR.register({
  id: "time_to_rollback",
  title: "How long until a rollback",
  when: () => true,
  async load(ctx) {
    return RR.need(await RR.api("/api/v1/time-to-rollback", ctx.pinned));
  },
  render(section, data) {
    const { el, COLOURS } = RR;
    const hours = (h) => (h >= 48 && h % 24 === 0 ? h / 24 + " d" : RR.fixed(h, h % 1 ? 1 : 0) + " h");
    const labels = data.buckets.map((b) => (b.to_hours === null ? "over " + hours(b.from_hours) : hours(b.from_hours) + "–" + hours(b.to_hours)));
    const inside = data.buckets.filter((b) => b.within_window).length;
    section.append(el("p", { class: "lead" },
      el("span", { "data-field": "ttr_rollbacks", text: RR.fmt.count(data.rollbacks) }), " rolled back within the " + hours(data.window_hours) + " window, ",
      el("span", { "data-field": "ttr_late", text: RR.fmt.count(data.late_rollbacks) }), " after it (late)."));
    const chart = el("div", { class: "chart", id: "rr-ttr-chart", role: "img", "aria-label": "Rollbacks by hours after deployment" });
    section.append(chart);
    RR.plot(chart, [{
      type: "bar", x: labels, y: data.buckets.map((b) => b.count),
      marker: { color: data.buckets.map((b) => (b.within_window ? COLOURS.blue : COLOURS.vermillion)) },
      text: data.buckets.map((b) => String(b.count)), textposition: "auto",
      hovertemplate: "%{x} after deployment: %{y} rollbacks<extra></extra>",
    }], {
      xaxis: { type: "category", title: { text: "time from deployment to rollback" }, tickangle: -30, automargin: true },
      yaxis: { title: { text: "rolled-back deployments" }, rangemode: "tozero" },
      shapes: [{ type: "line", xref: "x", yref: "paper", x0: inside - 0.5, x1: inside - 0.5, y0: 0, y1: 1, line: { color: COLOURS.black, dash: "dash", width: 2 } }],
      annotations: [{ xref: "x", yref: "paper", x: inside - 0.5, y: 1, text: "window " + hours(data.window_hours), showarrow: false, xanchor: "left", yanchor: "top" }],
      showlegend: false,
    });
  },
});
