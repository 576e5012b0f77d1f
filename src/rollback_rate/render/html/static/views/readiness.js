/* Rollback readiness: streams at risk or not ready, with reasons (issue 10's
   GET /api/v1/readiness, built separately): shown only when that endpoint answers 200. */
RR.register({
  id: "readiness",
  title: "Can we still roll back",
  when: () => true,
  async load(ctx) {
    return RR.need(await RR.api("/api/v1/readiness", RR.pick(ctx.pinned, ["model", "team", "environment"])));
  },
  render(section, data) {
    const { el } = RR;
    const streams = Array.isArray(data) ? data : data.streams || data.readiness || [];
    const worrying = streams.filter((s) => s.verdict && s.verdict !== "ready");
    section.append(el("p", { class: "lead", "data-field": "readiness_summary",
      text: worrying.length + " of " + streams.length + " live streams are at risk or not ready." }));
    if (!worrying.length) return;
    const head = el("tr", {}, ...["model", "environment", "verdict", "live", "target", "reasons"].map((t) => el("th", { scope: "col", text: t })));
    const rows = worrying.map((s) => el("tr", {},
      el("td", { text: s.model }), el("td", { text: s.environment }),
      el("td", { class: "verdict verdict-" + String(s.verdict).replace(/[^a-z_]/g, ""), text: String(s.verdict).replace("_", " ") }),
      el("td", { text: s.live_version || "n/a" }), el("td", { text: s.target_version || "none" }),
      el("td", {}, el("ul", {}, ...(s.reasons || []).map((r) => el("li", { text: r.text || r.code }))))));
    section.append(el("div", { class: "scroll" }, el("table", { class: "plain" }, el("thead", {}, head), el("tbody", {}, ...rows))));
  },
});
