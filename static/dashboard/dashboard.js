/* The supervisor dashboard: fetches /api/v1/kpis/ with the filters, draws tiles and
   hand-written SVG charts, and refreshes every 30 seconds while the page is visible. */
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const T = JSON.parse(document.getElementById("db-strings").textContent);
  const form = document.getElementById("db-filters");
  const SVG = "http://www.w3.org/2000/svg";
  const COLORS = ["#2f6fed", "#1f8a4c", "#b86e00", "#8e44ad", "#c62f2f", "#16a2b8"];
  let timer = null;
  let lastData = null;

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const key in attrs) node.setAttribute(key, attrs[key]);
    if (parent) parent.appendChild(node);
    return node;
  }

  // Durations in the reader's language, with the units the server translated.
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    const U = T.units;
    const fmt = (value, digits) => Number(value).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: digits });
    if (seconds < 90) return `${fmt(seconds, 0)} ${U.s}`;
    if (seconds < 5400) return `${fmt(seconds / 60, 0)} ${U.min}`;
    if (seconds < 172800) return `${fmt(seconds / 3600, 1)} ${U.h}`;
    return `${fmt(seconds / 86400, 1)} ${U.d}`;
  }
  // Charts are drawn at the size they are shown, so their text stays readable on a phone.
  const chartWidth = (box) => Math.max(280, Math.round(box.clientWidth || 600));
  const pct = (rate) => (rate === null || rate === undefined ? "–" : (rate * 100).toFixed(1) + "%");
  const num = (value, digits) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));

  function empty(box) {
    box.replaceChildren();
    const p = document.createElement("p");
    p.className = "db-empty";
    p.textContent = T.empty;
    box.appendChild(p);
  }

  function title(node, text) {
    el("title", {}, node).textContent = text;
  }

  /* A line chart over days: points with a tooltip title, axis labels at both ends. */
  function lineChart(box, days, key, format, color) {
    const points = days.map((d, i) => [i, d[key]]).filter((p) => p[1] !== null && p[1] !== undefined);
    if (!points.length) return empty(box);
    const W = chartWidth(box), H = 190, P = 58;
    const max = Math.max(...points.map((p) => p[1])) || 1;
    const x = (i) => P + (days.length > 1 ? (i * (W - 2 * P)) / (days.length - 1) : (W - 2 * P) / 2);
    const y = (v) => H - P - (v / max) * (H - 2 * P);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "db-svg" });
    title(svg, box.parentElement.querySelector("figcaption").textContent);
    for (const frac of [0, 0.5, 1]) {
      el("line", { x1: P, x2: W - P, y1: y(max * frac), y2: y(max * frac), class: "db-grid" }, svg);
      el("text", { x: P - 4, y: y(max * frac) + 4, class: "db-axis", "text-anchor": "end" }, svg).textContent = format(max * frac);
    }
    el("polyline", { points: points.map((p) => `${x(p[0])},${y(p[1])}`).join(" "), fill: "none", stroke: color, "stroke-width": 2 }, svg);
    for (const [i, v] of points) {
      const dot = el("circle", { cx: x(i), cy: y(v), r: 3, fill: color }, svg);
      title(dot, `${days[i].date}: ${format(v)}`);
    }
    el("text", { x: P, y: H - 6, class: "db-axis" }, svg).textContent = days[0].date;
    el("text", { x: W - P, y: H - 6, class: "db-axis", "text-anchor": "end" }, svg).textContent = days[days.length - 1].date;
    box.replaceChildren(svg);
  }

  /* Horizontal bars, labelled: channels, tags, score distributions. */
  function barChart(box, entries) {
    const total = entries.reduce((sum, e) => sum + e[1], 0);
    if (!total) return empty(box);
    const W = chartWidth(box), row = 28, H = entries.length * row + 8, labelW = Math.min(150, Math.round(W * 0.35));
    const max = Math.max(...entries.map((e) => e[1]));
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", class: "db-svg" });
    title(svg, box.parentElement.querySelector("figcaption").textContent);
    entries.forEach(([label, value], i) => {
      const y = 4 + i * row;
      el("text", { x: 0, y: y + 16, class: "db-label" }, svg).textContent = label;
      const width = max ? ((W - labelW - 60) * value) / max : 0;
      const bar = el("rect", { x: labelW, y: y + 3, width: Math.max(width, 1), height: row - 8, rx: 3, fill: COLORS[i % COLORS.length] }, svg);
      title(bar, `${label}: ${value}`);
      el("text", { x: labelW + width + 6, y: y + 16, class: "db-label" }, svg).textContent = value;
    });
    box.replaceChildren(svg);
  }

  /* A donut with a legend: the channel breakdown. */
  function donut(box, entries) {
    // Channels without a ticket in the range stay out of the legend.
    entries = entries.filter((e) => e[1] > 0);
    const total = entries.reduce((sum, e) => sum + e[1], 0);
    if (!total) return empty(box);
    const H = Math.max(160, 24 * entries.length + 16);
    const svg = el("svg", { viewBox: `0 0 300 ${H}`, role: "img", class: "db-svg db-donut" });
    title(svg, box.parentElement.querySelector("figcaption").textContent);
    const cx = 80, cy = 80, r = 60, width = 26;
    let angle = -Math.PI / 2;
    entries.forEach(([label, value], i) => {
      if (!value) return;
      const sweep = (value / total) * Math.PI * 2;
      const end = angle + Math.min(sweep, Math.PI * 2 - 0.0001);
      const large = sweep > Math.PI ? 1 : 0;
      const path = `M ${cx + r * Math.cos(angle)} ${cy + r * Math.sin(angle)} A ${r} ${r} 0 ${large} 1 ${cx + r * Math.cos(end)} ${cy + r * Math.sin(end)}`;
      const arc = el("path", { d: path, fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": width }, svg);
      title(arc, `${label}: ${value}`);
      angle += sweep;
    });
    el("text", { x: cx, y: cy + 5, "text-anchor": "middle", class: "db-total" }, svg).textContent = total;
    entries.forEach(([label, value], i) => {
      const y = 30 + i * 24;
      el("rect", { x: 170, y: y - 11, width: 12, height: 12, rx: 2, fill: COLORS[i % COLORS.length] }, svg);
      el("text", { x: 188, y, class: "db-label" }, svg).textContent = `${label} ${Math.round((100 * value) / total)}%`;
    });
    box.replaceChildren(svg);
  }

  function tile(name, main, detail) {
    const node = root.querySelector(`[data-kpi="${name}"]`);
    node.querySelector("strong").textContent = main;
    node.querySelector("small").textContent = detail;
  }

  function render(data) {
    const fr = data.first_response_time, res = data.resolution_time;
    tile("fcr", pct(data.fcr_rate), `${data.fcr.judged} ${T.judged} · ${T.provisional} ${pct(data.fcr.provisional.rate)}`);
    tile("first_response", duration(fr.median_s), `${T.p90} ${duration(fr.p90_s)} · ${T.business}: ${duration(fr.business_median_s)}`);
    tile("resolution", duration(res.median_s), `${T.p90} ${duration(res.p90_s)} · ${T.business}: ${duration(res.business_median_s)}`);
    tile("csat", num(data.csat.average, 2), `${data.csat.responses} ${T.answers} · ${num(data.csat.satisfied_pct, 1)}% ${T.satisfied}`);
    tile("ces", num(data.ces.average, 2), `1–${data.ces.scale} · ${data.ces.responses} ${T.answers}`);
    tile("nps", num(data.nps.score, 1), `${data.nps.responses} ${T.answers}`);
    tile("rates", `${pct(data.reopen_rate)} · ${pct(data.escalation_rate)}`, `${data.reopened} ${T.reopened} · ${data.escalated} ${T.escalated}`);
    tile("backlog", data.backlog.now, `${T.now} · ${data.backlog.end_of_range} ${T.end}`);
    lineChart(document.getElementById("chart-volume"), data.trend, "volume", (v) => Math.round(v), COLORS[0]);
    lineChart(document.getElementById("chart-fcr"), data.trend, "fcr_rate", pct, COLORS[1]);
    lineChart(document.getElementById("chart-first-response"), data.trend, "first_response_median_s", duration, COLORS[2]);
    const channelLabels = {};
    form.querySelectorAll('select[name="channel"] option').forEach((o) => { if (o.value) channelLabels[o.value] = o.textContent; });
    donut(document.getElementById("chart-channels"), Object.entries(data.volume_by_channel).map(([k, v]) => [channelLabels[k] || k, v]));
    barChart(document.getElementById("chart-csat"), ["5", "4", "3", "2", "1"].map((s) => ["★".repeat(Number(s)), data.csat.distribution[s]]));
    barChart(document.getElementById("chart-tags"), data.top_tags.map((t) => [t.name, t.tickets]));
    const body = document.querySelector("#db-agents tbody");
    body.replaceChildren();
    if (!data.agents.length) {
      const tr = body.insertRow();
      const td = tr.insertCell();
      td.colSpan = 5;
      td.className = "cn-muted";
      td.textContent = T.noAgents;
    }
    for (const agent of data.agents) {
      const tr = body.insertRow();
      for (const text of [agent.name, agent.replies, pct(agent.fcr_rate), duration(agent.first_response_median_s), num(agent.csat, 2)]) {
        tr.insertCell().textContent = text;
      }
    }
    // The team's time zone, like every other time on the page.
    const clock = new Date().toLocaleTimeString(document.documentElement.lang || undefined, { timeZone: root.dataset.tz, hour: "2-digit", minute: "2-digit", second: "2-digit" });
    document.getElementById("db-updated").textContent = `${T.updated} ${clock}`;
    lastData = data;
  }

  function query() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) if (value) params.set(key, value);
    return params;
  }

  async function load() {
    const params = query();
    document.getElementById("db-export").href = `${root.dataset.export}?${params}`;
    root.querySelectorAll("a[data-metric]").forEach((link) => {
      link.href = `${root.dataset.rows}?metric=${link.dataset.metric}&${params}`;
    });
    params.set("detail", "1");
    const error = document.getElementById("db-error");
    try {
      const response = await fetch(`${root.dataset.api}?${params}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      const data = await response.json();
      if (!response.ok) throw new Error(data.detail || response.statusText);
      error.classList.add("cn-hidden");
      render(data);
    } catch (exc) {
      error.textContent = `${T.error}: ${exc.message}`;
      error.classList.remove("cn-hidden");
    }
  }

  function schedule() {
    clearInterval(timer);
    timer = setInterval(() => { if (!document.hidden) load(); }, Number(root.dataset.refresh) || 30000);
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); schedule(); });
  form.addEventListener("change", () => { load(); schedule(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) load(); });
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (lastData) render(lastData); }, 150);
  });
  load();
  schedule();
})();
