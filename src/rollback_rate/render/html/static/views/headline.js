/* Headline: the settled rate in its band's colour, its 95% interval, and beside it how
   much was deployed, settled and pending, so fewer rollbacks through fewer deployments
   shows. A small sample is flagged, never a bare "excellent". From GET /api/v1/report. */
RR.register({
  id: "headline",
  title: "How are we doing",
  when: () => true,
  load: async (ctx) => ctx.report.overall,
  render(section, s, ctx) {
    const { el, fmt } = RR;
    const band = RR.BANDS[s.band];
    const small = s.band && RR.isSmall(s);
    const rate = el("div", { class: "rate-card" + (small ? " small-sample" : ""), style: band ? "--band:" + band.colour : null },
      el("div", { class: "rate", "data-field": "rollback_rate", text: fmt.pct(s.rollback_rate) }),
      el("div", { class: "band", "data-field": "band", text: RR.bandLabel(s) }),
      el("div", { class: "ci" }, "95% interval ", el("span", { "data-field": "ci95", text: fmt.ci(s.ci95) })));
    const figure = (name, label, value, note) => el("div", { class: "figure" },
      el("div", { class: "value", "data-field": name, text: value }),
      el("div", { class: "label", text: label }), note ? el("div", { class: "note", text: note }) : null);
    const grid = el("div", { class: "figures" },
      figure("deployments", "deployed", fmt.count(s.deployments)),
      figure("settled", "settled", fmt.count(s.settled), "window closed or rolled back"),
      figure("pending", "pending", fmt.count(s.pending), "window still open"),
      figure("rollbacks", "rolled back", fmt.count(s.rollbacks), "within the " + RR.fixed(ctx.report.window_hours, 0) + " h window"),
      figure("automated_share", "automated", fmt.pct(s.automated_share), fmt.count(s.automated_rollbacks) + " of the rollbacks"),
      figure("median_hours_to_rollback", "median to roll back", fmt.hours(s.median_hours_to_rollback)),
      figure("late_rollbacks", "late rollbacks", fmt.count(s.late_rollbacks), "after the window"),
      figure("orphan_rollbacks", "orphan rollbacks", fmt.count(s.orphan_rollbacks), "rolled back nothing counted"));
    section.append(el("div", { class: "headline" }, rate, grid));
    if (small) {
      section.append(el("p", { class: "warning", "data-field": "small_sample",
        text: "Small sample: " + s.settled + " settled deployments (fewer than " + RR.SMALL_SAMPLE + "); the band is not yet meaningful and the interval is wide." }));
    }
    const failed = ctx.report.failed_rollbacks;
    if (failed && failed.count) {
      section.append(el("p", { class: "warning", "data-field": "failed_rollbacks",
        text: failed.count + " rollback(s) FAILED: those models could not be restored." }));
    }
  },
});
