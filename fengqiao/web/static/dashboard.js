// Dashboard: fetches /api/v1/stats and draws it with the vendored Chart.js (no CDN).
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var labels = JSON.parse(root.getAttribute("data-labels"));
  var palette = ["#1e63b5", "#2e7d32", "#b7791f", "#c62828", "#6a1b9a", "#00838f", "#5d4037", "#546e7a"];
  var riskColours = { red: "#c62828", yellow: "#e0a800", blue: "#1e63b5" };

  function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return v === null || v === undefined ? "—" : String(v); }
  function setText(id, text) { document.getElementById(id).textContent = text; }

  // Case counts are whole numbers: no axis tick at 0.5 of a case.
  var counts = { beginAtZero: true, ticks: { precision: 0 } };

  function bar(id, series, horizontal, colours) {
    var canvas = document.getElementById(id);
    return new Chart(canvas, {
      type: "bar",
      data: {
        labels: series.map(function (r) { return r.name; }),
        datasets: [{
          label: labels.cases,
          data: series.map(function (r) { return r.total; }),
          backgroundColor: colours || palette[0]
        }]
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        scales: horizontal ? { x: counts } : { y: counts },
        responsive: true,
        maintainAspectRatio: false,
        plugins: { legend: { display: false } }
      }
    });
  }

  function draw(stats) {
    setText("kpi-total", num(stats.total));
    setText("kpi-resolution", pct(stats.resolution_rate));
    setText("kpi-satisfaction", pct(stats.satisfaction_rate));
    setText("kpi-cycle-avg", num(stats.cycle_days_avg));
    setText("kpi-cycle-p90", num(stats.cycle_days_p90));
    setText("kpi-overdue", num(stats.overdue.total));
    if (stats.refreshed_at) { setText("refreshed", labels.refreshed + " " + stats.refreshed_at); }
    bar("chart-type", stats.by_type.slice(0, 12), true);
    var month = document.getElementById("chart-month");
    new Chart(month, {
      type: "line",
      data: {
        labels: stats.by_month.map(function (r) { return r.name; }),
        datasets: [{ label: labels.cases, data: stats.by_month.map(function (r) { return r.total; }),
                     borderColor: palette[0], backgroundColor: palette[0] }]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 scales: { y: counts },
                 plugins: { legend: { display: false } } }
    });
    bar("chart-region", stats.by_region.slice(0, 12), false, palette[1]);
    var risk = document.getElementById("chart-risk");
    new Chart(risk, {
      type: "doughnut",
      data: {
        labels: stats.by_risk.map(function (r) { return r.name; }),
        datasets: [{ data: stats.by_risk.map(function (r) { return r.total; }),
                     backgroundColor: stats.by_risk.map(function (r) { return riskColours[r.key] || "#999"; }) }]
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false }
    });
    bar("chart-organisation", stats.by_organisation.slice(0, 15), true, palette[2]);
    root.setAttribute("data-ready", "1");
  }

  fetch("/api/v1/stats", { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(draw)
    .catch(function (e) { root.setAttribute("data-error", String(e)); });
})();
