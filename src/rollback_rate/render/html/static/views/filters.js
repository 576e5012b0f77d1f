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
  // Suggestions come from the table's rows (RR.suggest), not from another request: the
  // models overview reads every stream's history, too slow to send on each page load.
};

RR.suggest = function (groups) {
  for (const [name, id] of [["model", "rr-models"], ["team", "rr-teams"], ["environment", "rr-environments"]]) {
    const list = document.getElementById(id);
    if (!list) continue;
    const values = [...new Set(groups.map((g) => g.key[name]).filter((v) => v !== undefined && v !== null))].sort();
    if (values.length) list.replaceChildren(...values.map((value) => RR.el("option", { value })));
  }
};
