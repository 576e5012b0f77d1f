/* Drill-down of one model: its streams (GET /api/v1/models?model=) and its deployments
   and rollbacks on a timeline with versions and causes (GET /api/v1/events?model=), over
   since/until, else the 90 days up to its last deployment or rollback (or as_of, if
   earlier). rollback_rate.ledger.snapshot computes the same range for a file. */
RR.DRILL_DAYS = 90;
RR.EVENT_PAGES = 10;

RR.drillRange = function (streams, asOf, days) {
  const stamps = [];
  for (const s of streams) {
    if (s.last_deployment) stamps.push(Date.parse(s.last_deployment.at));
    if (s.last_rollback) stamps.push(Date.parse(s.last_rollback.at));
  }
  const end = Math.min(Date.parse(asOf), stamps.length ? Math.max(...stamps) : Infinity);
  const seconds = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return seconds(end - days * 86400000);
};

RR.register({
  id: "timeline",
  title: "Deployments and rollbacks",
  when: (ctx) => ctx.drill,
  async load(ctx) {
    const model = ctx.params.model;
    const models = await RR.api("/api/v1/models", RR.pick({ model, window: ctx.params.window }, ["model", "window"]));
    if (RR.need(models) === null) return null;
    const streams = models.body.models.length ? models.body.models[0].environments : [];
    const since = ctx.params.since || RR.drillRange(streams, ctx.asOf, RR.DRILL_DAYS);
    const until = ctx.params.until || ctx.asOf;
    const events = [];
    let cursor = null, complete = false;
    for (let page = 0; page < RR.EVENT_PAGES; page++) {
      const params = { model, since, until, limit: "1000" };
      if (cursor) params.cursor = cursor;
      const result = await RR.api("/api/v1/events", RR.pick({ ...params, environment: ctx.params.environment }, ["model", "environment", "since", "until", "limit", "cursor"]));
      if (result.status !== 200) {
        if (page === 0 && result.status !== 404) throw new Error(RR.errorText(result));
        break; // a file holds the first page only
      }
      events.push(...result.body.events);
      cursor = result.body.next_cursor;
      if (!cursor) { complete = true; break; }
    }
    return { streams: models.body.models, events, complete, since, until };
  },
  render(section, data, ctx) {
    const { el, fmt, COLOURS } = RR;
    section.append(el("p", {}, el("a", { href: RR.href({ ...ctx.filters, model: RR.snapshot ? RR.snapshot.filters.model : undefined, period: ctx.params.period, view: undefined }), text: "← all models" })));
    const streams = (data.streams[0] || { environments: [] }).environments;
    const head = el("tr", {}, ...["environment", "team", "live version", "last deployment", "last rollback", "rate"].map((t) => el("th", { scope: "col", text: t })));
    const rows = streams.map((s) => el("tr", { "data-environment": s.environment },
      el("td", { text: s.environment }), el("td", { text: s.team === null ? "n/a" : s.team }),
      el("td", { "data-col": "live_version", text: s.live_version === null ? "none" : s.live_version }),
      el("td", { text: s.last_deployment ? s.last_deployment.version + " at " + fmt.time(s.last_deployment.at) : "none" }),
      el("td", { text: s.last_rollback ? fmt.time(s.last_rollback.at) + (s.last_rollback.cause ? " (" + s.last_rollback.cause + ")" : "") : "none" }),
      el("td", { "data-col": "rollback_rate", text: fmt.pct(s.rollback_rate) })));
    section.append(el("div", { class: "scroll" }, el("table", { class: "plain", id: "rr-streams" }, el("thead", {}, head), el("tbody", {}, ...rows))));
    section.append(el("p", { class: "hint", "data-field": "event_count",
      text: data.events.length + " events from " + fmt.time(data.since) + " to " + fmt.time(data.until) + (data.complete ? "" : " (the first " + data.events.length + " only: narrow since/until)") + "." }));
    if (!data.events.length) return;
    const kinds = [["deployment", "deployments", "circle", COLOURS.blue], ["rollback", "rollbacks", "x", COLOURS.vermillion], ["rollback_failed", "failed rollbacks", "diamond", COLOURS.black]];
    const traces = kinds.map(([type, name, symbol, colour]) => {
      const picked = data.events.filter((e) => e.type === type);
      return {
        type: "scatter", mode: "markers", name, x: picked.map((e) => e.timestamp), y: picked.map((e) => RR.plotText(e.environment)),
        marker: { symbol, color: colour, size: type === "deployment" ? 9 : 12, line: { width: 1, color: colour } },
        text: picked.map((e) => RR.plotText(
          [type.replace("_", " ") + (e.version ? " " + e.version : ""), fmt.time(e.timestamp)].join("\n") +
          (e.cause ? "\ncause: " + e.cause : "") + (type !== "deployment" ? "\nautomated: " + (e.automated ? "yes" : "no") : "") +
          (e.note ? "\nnote: " + e.note : "")).replace(/\n/g, "<br>")),
        hovertemplate: "%{text}<extra></extra>",
      };
    }).filter((t) => t.x.length);
    const chart = el("div", { class: "chart short", id: "rr-timeline-chart", role: "img", "aria-label": "Deployments and rollbacks over time" });
    section.append(chart);
    RR.plot(chart, traces, { xaxis: { type: "date" }, yaxis: { type: "category", automargin: true } });
    const latest = [...data.events].reverse().slice(0, 200);
    const eventHead = el("tr", {}, ...["time", "environment", "type", "version", "cause", "automated", "note"].map((t) => el("th", { scope: "col", text: t })));
    const eventRows = latest.map((e) => el("tr", { class: "event-" + e.type },
      el("td", { text: fmt.time(e.timestamp) }), el("td", { text: e.environment }), el("td", { text: e.type.replace("_", " ") }),
      el("td", { text: e.version === null ? "" : e.version }), el("td", { text: e.cause === null ? "" : e.cause }),
      el("td", { text: e.type === "deployment" ? "" : e.automated ? "yes" : "no" }), el("td", { text: e.note === null ? "" : e.note })));
    section.append(el("details", {}, el("summary", { text: "Events, newest first" + (latest.length < data.events.length ? " (latest 200)" : "") }),
      el("div", { class: "scroll" }, el("table", { class: "plain", id: "rr-events" }, el("thead", {}, eventHead), el("tbody", {}, ...eventRows)))));
  },
});
