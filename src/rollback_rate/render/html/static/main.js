/* Puts the page together: read the filters from the URL, fetch the report once and pin
   its as_of so every view shows the same moment, then let each view load its endpoint.
   A view whose endpoint answers 404 (not built on this server, or not in this file) is
   left out; any other error is shown with its location. */
RR.run = async function () {
  const { el } = RR;
  const params = RR.readParams();
  const filters = RR.pick(params, RR.FILTERS);
  const drill = params.view === "model" && Boolean(params.model);
  const main = document.getElementById("rr-views");
  main.replaceChildren();
  document.getElementById("rr-error").hidden = true;
  document.getElementById("rr-signout").hidden = document.body.dataset.signedIn !== "true";
  const report = await RR.api("/api/v1/report", { ...filters, period: params.period || "month" });
  if (report.status !== 200) {
    RR.renderFilters({ params, asOf: null });
    RR.fail(report);
    return;
  }
  const asOf = report.body.as_of;
  const ctx = { params, filters, drill, report: report.body, asOf, pinned: { ...filters, as_of: asOf } };
  RR.renderFilters(ctx);
  const scope = ["model", "team", "environment"].filter((n) => filters[n]).map((n) => n + " " + filters[n]);
  document.getElementById("rr-subtitle").textContent = (drill ? "Model " + params.model + " · " : "") +
    "as of " + RR.fmt.time(asOf) + " · window " + RR.fixed(report.body.window_hours, 0) + " h" +
    (scope.length && !drill ? " · " + scope.join(", ") : "") +
    (filters.since || filters.until ? " · deployed " + (filters.since || "…") + " to " + (filters.until || "…") : "");
  const jobs = RR.views.filter((view) => view.when(ctx)).map((view) => {
    const section = el("section", { id: "view-" + view.id, class: "view", "aria-busy": "true" },
      el("h2", { text: view.id === "timeline" ? params.model : view.title }));
    main.append(section);
    return (async () => {
      try {
        const data = await view.load(ctx);
        if (data === null) {
          section.remove();
          return;
        }
        view.render(section, data, ctx);
      } catch (error) {
        section.append(el("p", { class: "error", text: view.id + ": " + error.message }));
      } finally {
        section.setAttribute("aria-busy", "false");
      }
    })();
  });
  await Promise.all(jobs);
  document.getElementById("rr-foot").textContent = "rollback-rate · every figure from GET /api/v1 · " +
    (RR.mode === "file" ? "report file: no network needed" : "this view is its URL: share the link");
  document.body.dataset.ready = "true";
};

if (RR.mode === "file") window.addEventListener("hashchange", () => { document.body.dataset.ready = "false"; RR.run(); });
RR.run();
