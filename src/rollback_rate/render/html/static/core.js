/* The dashboard's core: where the JSON comes from, how numbers are printed, links, and
   the registry of views. Every string from the API goes into the page as text
   (textContent, attribute values), never as markup; strings handed to Plotly, which reads
   a little HTML in labels, are escaped first (RR.plotText). */
"use strict";

const RR = (function () {
  const mode = document.body.dataset.mode; // "live": the service's page; "file": a report
  const snapshot = mode === "file"
    ? JSON.parse(document.getElementById("rr-snapshot").textContent)
    : null;
  const FILTERS = ["window", "as_of", "model", "team", "environment", "since", "until"];
  const PAGE = ["period", "by", "view", "sort"];
  // In a file the filters are those it was made with; a link can only pick a model to
  // drill into, a grouping and a sort order, which the file carries answers for.
  const FILE_FREE = ["view", "model", "by", "sort"];
  const views = [];

  // Okabe & Ito's colour-blind-safe palette.
  const COLOURS = {
    black: "#000000", orange: "#E69F00", sky: "#56B4E9", green: "#009E73",
    yellow: "#F0E442", blue: "#0072B2", vermillion: "#D55E00", purple: "#CC79A7",
    grey: "#999999",
  };
  const BANDS = {
    excellent: { colour: COLOURS.green, label: "excellent", limit: "under 5%" },
    acceptable: { colour: COLOURS.yellow, label: "acceptable", limit: "5% to under 10%" },
    concerning: { colour: COLOURS.orange, label: "concerning", limit: "10% to 20%" },
    high_risk: { colour: COLOURS.vermillion, label: "high risk", limit: "over 20%" },
  };
  const SMALL_SAMPLE = 20; // settled deployments below which a band is not yet meaningful

  function readParams() {
    const text = mode === "file" ? location.hash.replace(/^#/, "") : location.search;
    const given = new URLSearchParams(text);
    const params = snapshot ? { ...snapshot.filters } : {};
    for (const name of [...FILTERS, ...PAGE]) {
      if (mode === "file" && !FILE_FREE.includes(name)) continue;
      const value = given.get(name);
      if (value !== null && value !== "") params[name] = value;
    }
    if (mode === "file" && params.view !== "model" && snapshot.filters.model === undefined) {
      delete params.model;
    }
    return params;
  }

  function pick(params, names) {
    const out = {};
    for (const name of names) {
      if (params[name] !== undefined && params[name] !== null && params[name] !== "") {
        out[name] = String(params[name]);
      }
    }
    return out;
  }

  function requestKey(path, params) {
    // The snapshot's key of a request; rollback_rate.ledger.snapshot builds the same.
    const names = Object.keys(params).filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== "").sort();
    return JSON.stringify([path, names.map((k) => [k, String(params[k])])]);
  }

  async function api(path, params) {
    const query = pick(params, Object.keys(params));
    if (mode === "file") {
      const key = requestKey(path, query);
      const found = Object.prototype.hasOwnProperty.call(snapshot.documents, key);
      return found ? { status: 200, body: snapshot.documents[key] } : { status: 404, body: null };
    }
    const search = new URLSearchParams(query).toString();
    const response = await fetch(path + (search ? "?" + search : ""), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    if (response.status === 401) location.reload(); // the session ended: sign in again
    return { status: response.status, body };
  }

  function errorText(result) {
    const error = result.body && result.body.error;
    if (!error && mode === "file") return "this view is not in the report file (it holds the drill-downs of its most deployed models)";
    if (!error) return "the server answered " + result.status;
    const detail = (error.details || [])[0];
    const where = detail && detail.location ? detail.location + ": " : "";
    return where + (detail && detail.reason ? detail.reason : error.message);
  }

  // A view's answer: the body on 200, null on 404 (the view is left out: an endpoint not
  // built on this server, or not in this file), else an error that names the problem.
  function need(result) {
    if (result.status === 200) return result.body;
    if (result.status === 404) return null;
    throw new Error(errorText(result));
  }

  function fail(result) {
    const box = document.getElementById("rr-error");
    box.textContent = errorText(result);
    box.hidden = false;
  }

  // Python's f"{x:.Nf}", which the table and Markdown outputs print: the exact binary
  // value rounded, an exact tie to even (toFixed breaks exact ties upwards instead).
  function fixed(x, digits) {
    const exact = x.toFixed(50);
    const dot = exact.indexOf(".");
    const rest = exact.slice(dot + 1 + digits);
    if (!/^50*$/.test(rest)) return x.toFixed(digits);
    const kept = exact.slice(0, digits ? dot + 1 + digits : dot);
    const last = Number(kept[kept.length - 1]);
    return last % 2 === 0 ? kept : x.toFixed(digits);
  }

  const fmt = {
    pct: (x) => (x === null || x === undefined ? "n/a" : fixed(x, 1) + "%"),
    hours: (x) => (x === null || x === undefined ? "n/a" : fixed(x, 1) + " h"),
    ci: (ci) => (ci ? fixed(ci[0], 1) + "-" + fixed(ci[1], 1) + "%" : "n/a"),
    count: (n) => (n === null || n === undefined ? "n/a" : Number(n).toLocaleString("en-US")),
    money: (cost) => (cost ? cost.currency + " " + Number(cost.total).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : "n/a"),
    time: (iso) => (iso ? iso.replace("T", " ").replace(/(\.\d+)?Z$/, " UTC") : "n/a"),
  };

  function isSmall(summary) {
    return summary.sufficient === false || summary.settled < SMALL_SAMPLE;
  }

  function bandLabel(summary) {
    if (!summary.band) return "no settled deployments";
    const label = BANDS[summary.band] ? BANDS[summary.band].label : summary.band;
    return isSmall(summary) ? label + "? small sample (" + summary.settled + " settled)" : label;
  }

  // Whether a model's drill-down can open: always on a server; in a file, if it carries it.
  function canDrill(model) {
    return mode === "live" || snapshot.drill_models.includes(model);
  }

  function href(params) {
    const search = new URLSearchParams(pick(params, [...FILTERS, ...PAGE])).toString();
    return (mode === "file" ? "#" : "?") + search;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === "text") node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function plotText(value) {
    return String(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function plot(target, traces, layout) {
    const base = {
      margin: { l: 56, r: 56, t: 16, b: 48 },
      font: { family: "system-ui, sans-serif", size: 12, color: "#222" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
      hoverlabel: { align: "left" },
      legend: { orientation: "h", y: -0.2 },
    };
    return Plotly.newPlot(target, traces, { ...base, ...layout }, {
      displaylogo: false,
      responsive: true,
      modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"],
    });
  }

  function register(view) {
    views.push(view);
  }

  return {
    mode, snapshot, FILTERS, PAGE, COLOURS, BANDS, SMALL_SAMPLE, views,
    readParams, pick, api, need, fail, errorText, fixed, fmt, isSmall, bandLabel, canDrill, href, el,
    plotText, plot, register,
  };
})();
