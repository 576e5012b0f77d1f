/* The filter bar. Filters live in the URL, so a view is shared as a link; the served page
   reloads with the new query string. A file shows the filters it was made with. */
RR.renderFilters = function (ctx) {
  const { el } = RR;
  const nav = document.getElementById("rr-filters");
  nav.replaceChildren();
  if (RR.mode === "file") {
    const parts = ["as of " + RR.fmt.time(ctx.asOf), "window " + (ctx.params.window || "7d"),
      "period " + (ctx.params.period || "month")];
    for (const name of ["model", "team", "environment", "since", "until"]) {
      if (RR.snapshot.filters[name]) parts.push(name + " " + RR.snapshot.filters[name]);
    }
    nav.append(el("p", { class: "snapshot", "data-field": "snapshot", text: "Report file: " + parts.join(" · ") }));
    return;
  }
  const form = el("form", { id: "rr-filter-form", class: "filters" });
  const field = (name, label, placeholder, list) => el("label", {},
    el("span", { text: label }),
    el("input", { name, value: ctx.params[name] || "", placeholder, list, autocomplete: "off" }));
  const choice = (name, label, options, fallback) => {
    const select = el("select", { name });
    for (const [value, text] of options) {
      select.append(el("option", { value, text, selected: (ctx.params[name] || fallback) === value ? "selected" : null }));
    }
    return el("label", {}, el("span", { text: label }), select);
  };
  form.append(
    field("window", "Window", "7d"),
    field("as_of", "As of", "now"),
    field("since", "Deployed since", "YYYY-MM-DD"),
    field("until", "Deployed until", "YYYY-MM-DD"),
    field("model", "Model", "all", "rr-models"),
    field("team", "Team", "all", "rr-teams"),
    field("environment", "Environment", "all", "rr-environments"),
    choice("period", "Trend by", [["month", "month"], ["week", "week"]], "month"),
    choice("by", "Table by", [["model", "model"], ["team", "team"], ["environment", "environment"], ["model,environment", "model and environment"]], "model"),
    el("button", { type: "submit", text: "Apply" }),
    el("a", { href: "?", class: "reset", text: "Reset" }),
  );
  if (ctx.params.view) form.append(el("input", { type: "hidden", name: "view", value: ctx.params.view }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(form).entries());
    if (values.view === "model" && !values.model) delete values.view;
    location.search = RR.href(values).slice(1);
  });
  nav.append(form);
  for (const id of ["rr-models", "rr-teams", "rr-environments"]) nav.append(el("datalist", { id }));
  RR.api("/api/v1/models", {}).then((result) => {
    if (result.status !== 200) return;
    const sets = { "rr-models": new Set(), "rr-teams": new Set(), "rr-environments": new Set() };
    for (const entry of result.body.models) {
      sets["rr-models"].add(entry.model);
      for (const stream of entry.environments) {
        sets["rr-environments"].add(stream.environment);
        if (stream.team) sets["rr-teams"].add(stream.team);
      }
    }
    for (const [id, values] of Object.entries(sets)) {
      document.getElementById(id).replaceChildren(...[...values].sort().map((value) => el("option", { value })));
    }
  });
};
