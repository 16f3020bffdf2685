// botan-line console: the cost dashboard's charts (Chart.js, served from this package).
"use strict";

(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const days = data.days.map((d) => d.day.slice(5));
  const LAYERS = data.layers;  // [key, label, colour] from the one vocabulary of layers (core/model.py)
  Chart.defaults.animation = false;  // drawn at once: the page is read, not watched
  Chart.defaults.maintainAspectRatio = false;

  new Chart(document.getElementById("chart-layers"), {
    type: "bar",
    data: {
      labels: days,
      datasets: LAYERS.map(([key, label, color]) => ({
        label, backgroundColor: color, data: data.days.map((d) => d.layers[key]),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });

  new Chart(document.getElementById("chart-yen"), {
    type: "line",
    data: {
      labels: days,
      datasets: [
        { label: "spent (¥)", borderColor: "#d6457a", backgroundColor: "#d6457a", data: data.days.map((d) => d.yen) },
        { label: "all strong model (¥)", borderColor: "#495057", backgroundColor: "#495057", borderDash: [6, 4],
          data: data.days.map((d) => d.all_strong_yen) },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });

  const tiers = data.report.overall.tiers;
  new Chart(document.getElementById("chart-tiers"), {
    type: "doughnut",
    data: {
      labels: ["cheap", "strong"],
      datasets: [{ data: [tiers.cheap.count, tiers.strong.count], backgroundColor: ["#74c0fc", "#1864ab"] }],
    },
  });

  new Chart(document.getElementById("chart-reduction"), {
    type: "line",
    data: {
      labels: days,
      datasets: [
        { label: "reduction (%)", borderColor: "#2f9e44", backgroundColor: "#2f9e44",
          data: data.days.map((d) => (d.messages ? d.reduction_percent : null)) },
        { label: "Layer 1 share (%)", borderColor: "#7048e8", backgroundColor: "#7048e8",
          data: data.days.map((d) => (d.messages ? d.layer1_percent : null)) },
      ],
    },
    options: { spanGaps: true, scales: { y: { min: 0, max: 100 } } },
  });
  performance.mark("charts-drawn");  // bench/console.py reads it
  document.body.dataset.charts = "drawn";
})();
