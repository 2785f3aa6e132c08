/*
 * The leadership dashboard's charts (/reports/). The page is complete without
 * JavaScript: every chart has its data table. With Chart.js loaded (deferred,
 * served from /static/training/vendor/), each box marked data-chart is drawn from
 * the JSON in #dashboard-data and shown; the data tables next to the status and
 * trend charts are folded away (still one click from view). No animation, so an
 * old office PC draws the page at once.
 *
 * Also: "copy link to this view" (the URL holds every filter), and a change of
 * programme forgets the cycle chosen for the previous one.
 */
(function () {
  "use strict";

  var COLOURS = {
    primary: "#0f3c88",
    compliant: "#1e6b34",
    in_progress: "#d9a520",
    overdue: "#a5161c",
    exempt: "#9aa5b5",
    grid: "#e3e7ee"
  };

  function copyText(text) {
    // navigator.clipboard needs HTTPS; intranet sites often run on plain HTTP.
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (e) {
      done = false;
    }
    document.body.removeChild(area);
    return done ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function setUpCopyLink() {
    var button = document.querySelector("[data-copy-link]");
    if (!button || !window.Promise) {
      return;
    }
    var label = button.querySelector("[data-copy-label]");
    var copied = button.querySelector("[data-copied-label]");
    button.hidden = false;
    button.addEventListener("click", function () {
      copyText(window.location.href).then(function () {
        label.hidden = true;
        copied.hidden = false;
        window.setTimeout(function () {
          label.hidden = false;
          copied.hidden = true;
        }, 2500);
      }, function () {
        window.prompt(button.textContent.trim(), window.location.href);
      });
    });
  }

  function setUpCycleReset() {
    var programme = document.querySelector("#dashboard-filters select[name=programme]");
    var cycle = document.querySelector("#dashboard-filters [data-cycle-select]");
    if (programme && cycle) {
      programme.addEventListener("change", function () {
        cycle.value = "";
      });
    }
  }

  function percentAxis(extra) {
    var axis = {
      min: 0,
      max: 100,
      grid: { color: COLOURS.grid },
      ticks: { callback: function (v) { return v + "%"; } }
    };
    for (var key in extra) {
      axis[key] = extra[key];
    }
    return axis;
  }

  function show(box, height) {
    box.hidden = false;
    if (height) {
      box.style.height = height + "px";
    }
    return box.querySelector("canvas");
  }

  function rateBars(box, rows, colour) {
    var labels = [], values = [];
    rows.forEach(function (row) {
      labels.push(row.name || row.label);
      values.push(row.rate);
    });
    return new window.Chart(show(box, Math.max(120, rows.length * 26 + 40)), {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{ data: values, backgroundColor: colour, maxBarThickness: 18 }]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (ctx) {
                return ctx.parsed.x === null ? "—" : ctx.parsed.x + "%";
              }
            }
          }
        },
        scales: { x: percentAxis({}), y: { grid: { display: false } } }
      }
    });
  }

  function statusChart(box, data) {
    var keys = ["compliant", "in_progress", "overdue", "exempt"];
    return new window.Chart(show(box, 220), {
      type: "doughnut",
      data: {
        labels: keys.map(function (k) { return data.labels[k]; }),
        datasets: [{
          data: keys.map(function (k) { return data.status[k]; }),
          backgroundColor: keys.map(function (k) { return COLOURS[k]; })
        }]
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { position: "right" } }
      }
    });
  }

  function trendChart(box, data) {
    var withRate = data.trend.some(function (t) { return t.rate !== null; });
    var line = {
      type: "line",
      label: withRate ? data.labels.cumulative : data.labels.cumulative_met,
      data: data.trend.map(function (t) { return withRate ? t.rate : t.cumulative; }),
      borderColor: COLOURS.compliant,
      backgroundColor: COLOURS.compliant,
      yAxisID: "y1",
      tension: 0
    };
    var scales = {
      y: { beginAtZero: true, grid: { color: COLOURS.grid }, ticks: { precision: 0 } },
      y1: withRate ?
        percentAxis({ position: "right", grid: { display: false } }) :
        { position: "right", beginAtZero: true, grid: { display: false } },
      x: { grid: { display: false } }
    };
    return new window.Chart(show(box, 240), {
      type: "bar",
      data: {
        labels: data.trend.map(function (t) { return t.month; }),
        datasets: [
          line,
          {
            type: "bar",
            label: data.labels.met,
            data: data.trend.map(function (t) { return t.met; }),
            backgroundColor: COLOURS.primary,
            maxBarThickness: 28,
            yAxisID: "y"
          }
        ]
      },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: { position: "bottom" } },
        scales: scales
      }
    });
  }

  function drawCharts() {
    var source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) {
      return;
    }
    var data = JSON.parse(source.textContent);
    var Chart = window.Chart;
    Chart.defaults.animation = false;
    Chart.defaults.responsive = true;
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1b2330";

    var boxes = document.querySelectorAll("[data-chart]");
    Array.prototype.forEach.call(boxes, function (box) {
      var kind = box.getAttribute("data-chart");
      try {
        if (kind === "children" && data.children.length) {
          rateBars(box, data.children, COLOURS.primary);
        } else if (kind === "status") {
          statusChart(box, data);
        } else if (kind === "trend" && data.trend.length) {
          trendChart(box, data);
        } else if (box.hasAttribute("data-breakdown")) {
          var rows = data.breakdowns[box.getAttribute("data-breakdown")] || [];
          if (rows.length) {
            rateBars(box, rows, COLOURS.compliant);
          }
        }
      } catch (e) {
        // A chart that cannot be drawn leaves its table in view.
        box.hidden = true;
        return;
      }
      if (!box.hidden) {
        var table = box.parentNode.querySelector("[data-chart-table]");
        if (table) {
          table.open = false;
        }
      }
    });
  }

  setUpCopyLink();
  setUpCycleReset();
  drawCharts();
})();
