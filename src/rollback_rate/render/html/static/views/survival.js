/* Survival curve: the share of deployments not yet rolled back against hours since
   deployment (issue 12's GET /api/v1/survival, built separately): shown only when that
   endpoint answers 200. */
RR.register({
  id: "survival",
  title: "How long deployments survive",
  when: () => true,
  async load(ctx) {
    return RR.need(await RR.api("/api/v1/survival", ctx.pinned));
  },
  render(section, data) {
    const { el, COLOURS } = RR;
    const first = (data.groups && data.groups[0]) || {};
    const curve = data.curve || (data.overall && data.overall.curve) || first.curve || [];
    if (!curve.length) {
      section.append(el("p", { class: "empty", text: "No rollbacks to draw a curve from." }));
      return;
    }
    const points = [{ hours: 0, survival: 1 }, ...curve];
    const chart = el("div", { class: "chart", id: "rr-survival-chart", role: "img", "aria-label": "Survival curve" });
    section.append(chart);
    RR.plot(chart, [{
      type: "scatter", mode: "lines", line: { shape: "hv", color: COLOURS.blue },
      x: points.map((p) => p.hours), y: points.map((p) => p.survival * 100),
      hovertemplate: "after %{x:.1f} h: %{y:.1f}% not rolled back<extra></extra>",
    }], {
      xaxis: { title: { text: "hours since deployment" } },
      yaxis: { title: { text: "not yet rolled back, %" }, range: [0, 101] },
      showlegend: false,
    });
  },
});
