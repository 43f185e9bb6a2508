// The live page: the map and the table are reloaded when the server announces a status
// change over Server-Sent Events; nothing is polled while the stream is open.
(function () {
  "use strict";
  var $ = function (s) { return document.querySelector(s); };
  var ORDER = { error: 0, warn: 1, skip: 2, unknown: 3, paused: 4, ok: 5 };
  var FILLS = { "#ccffbb": 1, "#ff9988": 1, "#ffee99": 1, "#e0d0d0": 1, "#dddddd": 1, "#d4d4d4": 1 };
  var records = [], byName = {}, uptime = {}, selected = null, mapLoaded = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function getJSON(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }
  function pct(u) { return u == null ? "–" : (u * 100).toFixed(u >= 0.9995 ? 1 : 2) + "%"; }
  function lat(ms) { return !ms ? "–" : ms < 10 ? ms.toFixed(1) + " ms" : ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s"; }
  function pill(status) { return el("span", { "class": "pill s-" + status }, status); }

  // ---- table ----
  function loadTable() {
    return getJSON("api/all").then(function (all) {
      records = all.probes || [];
      byName = {};
      records.forEach(function (r) { byName[r.name] = r; });
      renderCounts();
      renderTable();
      annotateMap();
      if (selected && byName[selected]) renderDetailHead(byName[selected]);
    });
  }
  function loadUptime() {
    return getJSON("api/uptime").then(function (u) { uptime = u || {}; renderTable(); }).catch(function () {});
  }
  function renderCounts() {
    var c = {};
    records.forEach(function (r) { c[r.status] = (c[r.status] || 0) + 1; });
    var box = $("#counts");
    box.textContent = "";
    Object.keys(c).sort(function (a, b) { return ORDER[a] - ORDER[b]; }).forEach(function (s) {
      box.appendChild(el("span", { "class": "count s-" + s }, c[s] + " " + s));
    });
    document.title = (c.error ? "(" + c.error + " down) " : "") + $("#client").textContent + " · statusmap";
  }
  function renderTable() {
    var q = $("#filter").value.trim().toLowerCase(), problems = $("#problems").checked;
    var rows = records.filter(function (r) {
      if (problems && r.status === "ok") return false;
      return !q || (r.name + " " + (r.host || "") + " " + (r.reason || "") + " " + r.status).toLowerCase().indexOf(q) >= 0;
    }).sort(function (a, b) { return (ORDER[a.status] - ORDER[b.status]) || (a.name < b.name ? -1 : 1); });
    var tb = $("#checks tbody"), frag = document.createDocumentFragment();
    rows.forEach(function (r) {
      var tr = el("tr", { "data-check": r.name });
      if (r.name === selected) tr.className = "sel";
      var td = el("td"); td.appendChild(pill(r.status)); tr.appendChild(td);
      tr.appendChild(el("td", { "class": "name" }, r.name));
      tr.appendChild(el("td", { "class": "wide muted" }, [r.host, r.runtime].filter(Boolean).join(" · ")));
      tr.appendChild(el("td", { "class": "reason" }, r.reason || ""));
      tr.appendChild(el("td", { "class": "num" }, pct(uptime[r.name])));
      tr.appendChild(el("td", { "class": "num" }, lat(r.latency_ms)));
      tr.appendChild(el("td", { "class": "wide muted" }, r.lastcheck || "never"));
      frag.appendChild(tr);
    });
    tb.textContent = "";
    tb.appendChild(frag);
    if (!rows.length) {
      var tr = el("tr"), td = el("td", { colspan: "7", "class": "muted" }, records.length ? "No check matches." : "No checks configured.");
      tr.appendChild(td); tb.appendChild(tr);
    }
  }

  // ---- map ----
  function loadMap() {
    mapLoaded = Date.now();
    return fetch("map.svg", { cache: "no-store" }).then(function (r) {
      return r.text().then(function (t) { return { ok: r.ok, text: t }; });
    }).then(function (res) {
      var box = $("#map");
      if (!res.ok) { box.textContent = ""; box.appendChild(el("p", { "class": "error" }, res.text)); return; }
      box.innerHTML = res.text;
      annotateMap();
    });
  }
  // The renderer knows nothing of checks: find each check's box as the status-coloured
  // shape holding the check's name nearest its top, and tag both for clicks and tests.
  function annotateMap() {
    var svg = $("#map svg");
    if (!svg || !records.length) return;
    var texts = [];
    svg.querySelectorAll("text").forEach(function (t) {
      var name = t.textContent.trim();
      if (byName[name]) {
        var b = t.getBBox();
        texts.push({ el: t, name: name, x: b.x + b.width / 2, y: b.y + b.height / 2 });
        t.setAttribute("data-check", name);
      }
    });
    svg.querySelectorAll("path").forEach(function (p) {
      var fill = (p.getAttribute("fill") || "").toLowerCase();
      if (!FILLS[fill]) return;
      var b = p.getBBox(), best = null;
      texts.forEach(function (t) {
        if (t.x >= b.x && t.x <= b.x + b.width && t.y >= b.y && t.y <= b.y + b.height && (!best || t.y < best.y)) best = t;
      });
      if (best) p.setAttribute("data-check", best.name); else p.removeAttribute("data-check");
    });
  }

  // ---- detail ----
  function renderDetailHead(r) {
    $("#d-name").textContent = r.name;
    var dl = el("dl");
    function row(k, v) { if (v == null || v === "") return; dl.appendChild(el("dt", null, k)); var dd = el("dd"); if (v instanceof Node) dd.appendChild(v); else dd.textContent = v; dl.appendChild(dd); }
    row("status", pill(r.status));
    row("since", r.since);
    row("reason", r.reason);
    row("type", r.type);
    row("every", r.interval + " s");
    row("host", [r.host, r.runtime].filter(Boolean).join(" · "));
    row("last check", r.lastcheck || "never");
    row("latency", lat(r.latency_ms));
    row("runs", r.success_count + " ok / " + r.fail_count + " failed (" + (r.success_ratio * 100).toFixed(2) + "%)");
    row("depends on", (r.dependencies || []).join(", "));
    Object.keys(r.extra || {}).sort().forEach(function (k) { row(k, r.extra[k]); });
    var head = $("#d-body .d-head");
    if (head) head.replaceWith(dl); else $("#d-body").prepend(dl);
    dl.className = "d-head";
  }
  function spark(series) {
    if (series.length < 2) return null;
    var W = 300, H = 60, max = 0;
    series.forEach(function (p) { max = Math.max(max, p.avg_latency_ms); });
    max = max || 1;
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + W + " " + H); svg.setAttribute("class", "spark"); svg.setAttribute("preserveAspectRatio", "none");
    var bw = W / series.length, d = "";
    series.forEach(function (p, i) {
      if (p.failures) {
        var r = document.createElementNS(ns, "rect");
        r.setAttribute("x", i * bw); r.setAttribute("y", 0); r.setAttribute("width", Math.max(bw, 1)); r.setAttribute("height", H);
        r.setAttribute("fill", p.failures >= p.checks ? "#ff9988" : "#ffd8cc");
        svg.appendChild(r);
      }
      d += (i ? "L" : "M") + (i * bw + bw / 2).toFixed(1) + " " + (H - 4 - (H - 8) * p.avg_latency_ms / max).toFixed(1);
    });
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", d); path.setAttribute("fill", "none"); path.setAttribute("stroke", "#33322e"); path.setAttribute("stroke-width", "1.5");
    svg.appendChild(path);
    return svg;
  }
  function showDetail(name) {
    var r = byName[name];
    if (!r) return;
    selected = name;
    $("#detail").hidden = false;
    $("#d-body").textContent = "";
    renderDetailHead(r);
    document.querySelectorAll("#checks tr.sel").forEach(function (t) { t.classList.remove("sel"); });
    var tr = document.querySelector('#checks tr[data-check="' + CSS.escape(name) + '"]');
    if (tr) tr.classList.add("sel");
    getJSON("api/checks/" + encodeURIComponent(name) + "/history?since=24h&limit=20").then(function (h) {
      if (selected !== name) return;
      var body = $("#d-body");
      var up = el("dl");
      ["24h", "7d", "30d"].forEach(function (k) { up.appendChild(el("dt", null, "uptime " + k)); up.appendChild(el("dd", null, pct(h.uptime[k]))); });
      body.appendChild(up);
      var sp = spark(h.series);
      if (sp) { body.appendChild(el("h3", null, "Latency, last 24 h")); body.appendChild(sp); }
      if (h.results.length) {
        body.appendChild(el("h3", null, "Last runs"));
        var t = el("table", { "class": "runs" });
        h.results.forEach(function (x) {
          var tr = el("tr"), td = el("td"); td.appendChild(pill(x.status)); tr.appendChild(td);
          tr.appendChild(el("td", { "class": "muted" }, x.time.replace("T", " ").slice(0, 19)));
          tr.appendChild(el("td", { "class": "num" }, lat(x.latency_ms)));
          tr.appendChild(el("td", null, x.reason || ""));
          t.appendChild(tr);
        });
        body.appendChild(t);
      }
      if (h.log.length) { body.appendChild(el("h3", null, "Last run log")); body.appendChild(el("pre", null, h.log.join("\n"))); }
    }).catch(function () {});
  }
  function hideDetail() { selected = null; $("#detail").hidden = true; document.querySelectorAll("#checks tr.sel").forEach(function (t) { t.classList.remove("sel"); }); }

  // ---- banner ----
  function setBanner(h) {
    var b = $("#banner");
    if (h && !h.telegram_ok) { b.textContent = h.message; b.hidden = false; } else { b.hidden = true; }
  }

  // ---- events ----
  function loadAll() {
    return Promise.all([loadTable(), loadMap(), loadUptime(), getJSON("api/info").then(function (i) { setBanner(i.health); })]).catch(function (e) { console.warn(e); });
  }
  function connect() {
    var live = $("#live");
    if (!window.EventSource) { setInterval(loadAll, 30000); return; }
    var es = new EventSource("events");
    es.addEventListener("hello", function () { live.className = "live on"; live.textContent = "live"; loadAll(); });
    es.addEventListener("status", function () {
      loadTable(); loadMap();
      if (selected) showDetail(selected);
    });
    es.addEventListener("results", function () {
      loadTable();
      if (Date.now() - mapLoaded > 60000) loadMap();
    });
    es.addEventListener("health", function (e) { setBanner(JSON.parse(e.data)); });
    es.addEventListener("resync", loadAll);
    es.onerror = function () { live.className = "live off"; live.textContent = "offline"; };
  }

  $("#checks").addEventListener("click", function (e) {
    var tr = e.target.closest("tr[data-check]");
    if (tr) showDetail(tr.getAttribute("data-check"));
  });
  $("#map").addEventListener("click", function (e) {
    var t = e.target.closest("[data-check]");
    if (t) showDetail(t.getAttribute("data-check"));
  });
  $("#d-close").addEventListener("click", hideDetail);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") hideDetail(); });
  $("#filter").addEventListener("input", renderTable);
  $("#problems").addEventListener("change", renderTable);
  $("#zoom").addEventListener("click", function () {
    var m = $("#map"), fit = m.classList.toggle("fit");
    this.setAttribute("aria-pressed", String(!fit));
    this.textContent = fit ? "Full size" : "Fit";
  });
  setInterval(loadUptime, 60000);
  loadTable().catch(function () {});
  loadUptime();
  connect();
})();
