/* Recent rollbacks: model, from and to version, cause, automated, hours after
   deployment. From GET /api/v1/rollbacks. */
RR.register({
  id: "recent",
  title: "Recent rollbacks",
  when: () => true,
  async load(ctx) {
    const body = RR.need(await RR.api("/api/v1/rollbacks", { ...ctx.pinned, limit: "20" }));
    return body && body.rollbacks;
  },
  render(section, rows, ctx) {
    const { el, fmt } = RR;
    if (!rows.length) {
      section.append(el("p", { class: "empty", text: "No rollbacks." }));
      return;
    }
    const head = el("tr", {}, ...["rolled back", "model", "environment", "from", "to", "cause", "automated", "after deployment"].map((t) => el("th", { scope: "col", text: t })));
    const body = rows.map((r) => el("tr", { class: r.within_window ? null : "late" },
      el("td", { "data-col": "rolled_back_at", text: fmt.time(r.rolled_back_at) }),
      el("td", { "data-col": "model" }, RR.canDrill(r.model)
        ? el("a", { href: RR.href({ ...ctx.filters, period: ctx.params.period, view: "model", model: r.model }), text: r.model })
        : r.model),
      el("td", { "data-col": "environment", text: r.environment }),
      el("td", { "data-col": "from_version", text: r.from_version }),
      el("td", { "data-col": "to_version", text: r.to_version === null ? "n/a" : r.to_version }),
      el("td", { "data-col": "cause", text: r.cause }),
      el("td", { "data-col": "automated", text: r.automated ? "yes" : "no" }),
      el("td", { "data-col": "hours_after_deployment", text: fmt.hours(r.hours_after_deployment) + (r.within_window ? "" : " (late)") })));
    section.append(el("div", { class: "scroll" }, el("table", { class: "plain", id: "rr-recent" }, el("thead", {}, head), el("tbody", {}, ...body))));
  },
});
