/* Recommended investment per root cause, ranked by cost or count (issue 10's
   GET /api/v1/advice, built separately): shown only when that endpoint answers 200. */
RR.register({
  id: "advice",
  title: "Where to invest",
  when: () => true,
  async load(ctx) {
    return RR.need(await RR.api("/api/v1/advice", ctx.pinned));
  },
  render(section, advice) {
    const { el, fmt } = RR;
    const body = Array.isArray(advice) ? advice[0] || {} : advice.advice || advice;
    if (body.message) section.append(el("p", { class: "lead", "data-field": "advice_message", text: body.message }));
    for (const finding of body.findings || []) section.append(el("p", { class: "warning", text: finding.text }));
    const rows = body.recommendations || [];
    if (!rows.length) return;
    const head = el("tr", {}, ...["#", "cause", "investment", "rollbacks", "share (95% CI)", "change", "cost"].map((t) => el("th", { scope: "col", text: t })));
    const lines = rows.map((r) => el("tr", {},
      el("td", { text: r.rank }), el("td", { text: r.cause }), el("td", { title: r.why || "", text: r.investment }),
      el("td", { text: fmt.count(r.count) }),
      el("td", { text: fmt.pct(r.share_pct) + " (" + fmt.ci(r.share_ci95) + ")" }),
      el("td", { text: (r.change > 0 ? "+" : "") + r.change }), el("td", { text: fmt.money(r.cost) })));
    section.append(el("div", { class: "scroll" }, el("table", { class: "plain" }, el("thead", {}, head), el("tbody", {}, ...lines))));
  },
});
