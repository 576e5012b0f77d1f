/* Per team / model / environment: a sortable table of rate, interval, deployments,
   pending, automated share, median time to rollback (and cost when configured). A row
   with a model links to that model's drill-down. From GET /api/v1/report?by=. */
RR.register({
  id: "groups",
  title: "Where",
  when: () => true,
  async load(ctx) {
    const by = ctx.drill ? "environment" : ctx.params.by || "model";
    const body = RR.need(await RR.api("/api/v1/report", { ...ctx.pinned, by }));
    if (body && RR.suggest) RR.suggest(body.groups);
    return body && { by: by.split(","), groups: body.groups };
  },
  render(section, data, ctx) {
    const { el, fmt } = RR;
    const cost = data.groups.some((g) => g.cost);
    const columns = [
      ...data.by.map((name) => ({ id: name, label: name, value: (g) => g.key[name], text: (g) => (g.key[name] === null ? "(none)" : g.key[name]) })),
      { id: "rollback_rate", label: "rate", value: (g) => g.rollback_rate, text: (g) => fmt.pct(g.rollback_rate) },
      { id: "band", label: "band", value: (g) => g.rollback_rate, text: (g) => RR.bandLabel(g) },
      { id: "ci95", label: "95% CI", value: (g) => (g.ci95 ? g.ci95[1] - g.ci95[0] : null), text: (g) => fmt.ci(g.ci95) },
      { id: "deployments", label: "deployed", value: (g) => g.deployments, text: (g) => fmt.count(g.deployments) },
      { id: "settled", label: "settled", value: (g) => g.settled, text: (g) => fmt.count(g.settled) },
      { id: "pending", label: "pending", value: (g) => g.pending, text: (g) => fmt.count(g.pending) },
      { id: "rollbacks", label: "rolled back", value: (g) => g.rollbacks, text: (g) => fmt.count(g.rollbacks) },
      { id: "automated_share", label: "automated", value: (g) => g.automated_share, text: (g) => fmt.pct(g.automated_share) },
      { id: "median_hours_to_rollback", label: "median to roll back", value: (g) => g.median_hours_to_rollback, text: (g) => fmt.hours(g.median_hours_to_rollback) },
      ...(cost ? [{ id: "cost", label: "cost", value: (g) => (g.cost ? g.cost.total : null), text: (g) => fmt.money(g.cost) }] : []),
    ];
    const table = el("table", { class: "groups", id: "rr-groups" });
    const wrap = el("div", { class: "scroll" }, table);
    section.append(el("p", { class: "hint", text: data.by.join(" and ") + ": click a column to sort" + (data.by.includes("model") ? "; a model name opens its deployments and rollbacks" : "") + "." }), wrap);
    let sort = ctx.params.sort || "-deployments";
    const draw = () => {
      const desc = sort.startsWith("-");
      const column = columns.find((c) => c.id === sort.replace(/^-/, "")) || columns[0];
      const rows = [...data.groups].sort((a, b) => {
        const x = column.value(a), y = column.value(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1; // n/a last either way
        if (y === null || y === undefined) return -1;
        return (x < y ? -1 : 1) * (desc ? -1 : 1);
      });
      const head = el("tr", {}, ...columns.map((c) => {
        const active = c === column;
        const button = el("button", { type: "button", "data-sort": c.id, text: c.label + (active ? (desc ? " ▼" : " ▲") : "") });
        button.addEventListener("click", () => {
          sort = active && !desc ? "-" + c.id : active ? c.id : "-" + c.id;
          const next = RR.href({ ...ctx.params, sort });
          if (RR.mode === "file") history.replaceState(null, "", next);
          else history.replaceState(null, "", location.pathname + next);
          draw();
        });
        return el("th", { scope: "col", "aria-sort": active ? (desc ? "descending" : "ascending") : null }, button);
      }));
      const body = rows.map((g) => el("tr", { "data-key": JSON.stringify(g.key) }, ...columns.map((c) => {
        const cell = el("td", { "data-col": c.id });
        if (c.id === "model" && g.key.model !== null && RR.canDrill(g.key.model)) {
          cell.append(el("a", { href: RR.href({ ...ctx.filters, period: ctx.params.period, view: "model", model: g.key.model }), text: c.text(g) }));
        } else if (!ctx.drill && RR.mode === "live" && (c.id === "team" || c.id === "environment") && g.key[c.id] !== null) {
          cell.append(el("a", { href: RR.href({ ...ctx.filters, period: ctx.params.period, [c.id]: g.key[c.id] }), text: c.text(g) }));
        } else {
          cell.textContent = c.text(g);
        }
        if (c.id === "band" && g.band) {
          cell.className = "band-cell" + (RR.isSmall(g) ? " small-sample" : "");
          cell.style.setProperty("--band", (RR.BANDS[g.band] || {}).colour || "#999");
        }
        return cell;
      })));
      table.replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
    };
    draw();
  },
});
