/* Draws the dashboards' charts with Chart.js (vendored, served from our static files).
 *
 * Each chart's figures are in the page as JSON (<script type="application/json" id=...>),
 * next to an element data-chart="<that id>"; the table under each chart holds the same
 * figures for screen readers and for print. No inline script: the CSP allows 'self' only.
 * Colours are read from opsdesk.css's variables, and charts are redrawn when the system
 * theme changes, so light and dark both read.
 */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") return;
  var charts = [];

  function css(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function palette() {
    return [css("--accent"), css("--ok"), css("--warn"), css("--wait"), css("--danger"), css("--neutral")];
  }

  // The figures as the tables read them: "2 h 5 min", "87.5%", "1,204".
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    seconds = Math.round(seconds);
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 48) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    var days = Math.floor(hours / 24);
    hours = hours % 24;
    return hours ? days + " d " + hours + " h" : days + " d";
  }
  function text(kind, value) {
    if (value === null || value === undefined) return "—";
    if (kind === "duration") return duration(value);
    if (kind === "ratio") return (value * 100).toFixed(value >= 0.999 && value < 1 ? 2 : 1) + "%";
    return Number(value).toLocaleString();
  }

  // Durations are drawn in hours (round steps on the axis), read back in seconds on hover.
  var HOUR = 3600;
  function axisTicks(kind) {
    if (kind === "duration") return function (value) { return Number(value).toLocaleString() + " h"; };
    if (kind === "ratio") return function (value) { return Math.round(value * 100) + "%"; };
    return function (value) { return Number(value).toLocaleString(); };
  }

  function go(links, index) {
    if (links && links[index]) window.location.href = links[index];
  }

  function series(data) {
    var colours = palette();
    var stacked = data.type === "stacked";
    var kind = data.datasets.length ? data.datasets[0].kind : "count";
    var chart = {
      type: data.type === "line" ? "line" : "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, i) {
          var colour = colours[i % colours.length];
          return {
            label: set.label,
            data: set.kind === "duration"
              ? set.data.map(function (v) { return v === null ? null : v / HOUR; })
              : set.data,
            links: set.links,
            kind: set.kind,
            borderColor: colour,
            backgroundColor: colour,
            borderWidth: data.type === "line" ? 2 : 0,
            pointRadius: data.labels.length > 40 ? 0 : 3,
            spanGaps: true,
            tension: 0.2,
          };
        }),
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: stacked, ticks: { color: css("--muted"), autoSkip: true, maxRotation: 0 }, grid: { color: css("--line") } },
          y: { stacked: stacked, beginAtZero: true, ticks: { color: css("--muted"), callback: axisTicks(kind) }, grid: { color: css("--line") } },
        },
        plugins: {
          legend: { labels: { color: css("--fg") } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var raw = item.dataset.kind === "duration" && item.raw !== null ? item.raw * HOUR : item.raw;
                return item.dataset.label + ": " + text(item.dataset.kind, raw);
              },
            },
          },
        },
        onClick: function (event, elements, chart) {
          if (!elements.length) return;
          var el = elements[0];
          go(chart.data.datasets[el.datasetIndex].links, el.index);
        },
      },
    };
    return chart;
  }

  function gauge(data) {
    var value = Math.max(0, Math.min(1, data.value || 0));
    var good = data.target === null || data.target === undefined ||
      (data.better === "higher" ? data.value >= data.target : data.value <= data.target);
    return {
      type: "doughnut",
      data: {
        labels: [data.label, "Rest"],
        datasets: [{
          data: [value, 1 - value],
          backgroundColor: [good ? css("--ok") : css("--warn"), css("--surface-2")],
          borderColor: css("--line"),
          borderWidth: 1,
        }],
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        rotation: -90,
        circumference: 180,
        cutout: "70%",
        plugins: {
          legend: { display: false },
          tooltip: {
            filter: function (item) { return item.dataIndex === 0; },
            callbacks: {
              label: function () {
                var line = data.label + ": " + text(data.kind, data.value);
                if (data.target !== null && data.target !== undefined) line += " (target " + text(data.kind, data.target) + ")";
                return line;
              },
            },
          },
        },
        onClick: function () { if (data.link) window.location.href = data.link; },
      },
    };
  }

  function draw() {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var source = document.getElementById(box.getAttribute("data-chart"));
      if (!source) return;
      var data = JSON.parse(source.textContent);
      var canvas = box.querySelector("canvas");
      if (!canvas) {
        canvas = document.createElement("canvas");
        canvas.setAttribute("aria-hidden", "true");
        box.appendChild(canvas);
      }
      charts.push(new window.Chart(canvas, data.type === "gauge" ? gauge(data) : series(data)));
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", draw);
  }
  // Print at the paper's width: Chart.js resizes on beforeprint; draw once more after.
  window.addEventListener("afterprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
