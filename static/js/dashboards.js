/* Charts of the area dashboards (Apache ECharts, vendored). The data is the page's own tables, passed with
   json_script as #dashboard-data; each chart has its table right under it, so nothing depends on the charts. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var RED = "#dc3545", GREY = "#6c757d", BLUE = "#0d6efd", GREEN = "#198754";
  var charts = [];

  function draw(id, option, rows) {
    var el = document.getElementById(id);
    if (!el) return;
    // Horizontal bar charts grow with their rows, so every name stays readable on a phone.
    if (rows) el.style.height = Math.max(240, rows * 44 + 70) + "px";
    var chart = echarts.init(el);
    chart.setOption(Object.assign({textStyle: {fontSize: 14}, tooltip: {trigger: "axis"}}, option));
    charts.push(chart);
  }

  var grid = {left: 48, right: 16, top: 40, bottom: 40, containLabel: true};
  var legend = {top: 0, textStyle: {fontSize: 14}};

  draw("chart-monthly", {
    legend: legend, grid: grid,
    xAxis: {type: "category", data: data.monthly.labels},
    yAxis: {type: "value", minInterval: 1},
    series: [
      {name: L.cases, type: "bar", data: data.monthly.cases, itemStyle: {color: RED}},
      {name: L.last_year, type: "line", data: data.monthly.last_year, itemStyle: {color: GREY}, lineStyle: {type: "dashed", width: 3}}
    ]
  });

  draw("chart-trend", {
    legend: legend, grid: grid,
    xAxis: {type: "category", data: data.monthly.labels},
    yAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
    series: [
      {name: L.satisfied, type: "line", data: data.monthly.satisfied_rate, connectNulls: true, itemStyle: {color: GREEN}, lineStyle: {width: 3}},
      {name: L.solved, type: "line", data: data.monthly.solved_rate, connectNulls: true, itemStyle: {color: BLUE}, lineStyle: {width: 3, type: "dashed"}}
    ]
  });

  if (data.categories.length) {
    draw("chart-categories", {
      tooltip: {trigger: "item", formatter: "{b}: {c} ({d}%)"},
      series: [{type: "pie", radius: ["35%", "65%"], data: data.categories, label: {fontSize: 13}}]
    });
  }

  if (data.hotspots.labels.length) {
    draw("chart-hotspots", {
      grid: {left: 8, right: 24, top: 8, bottom: 8, containLabel: true},
      xAxis: {type: "value", minInterval: 1},
      yAxis: {type: "category", data: data.hotspots.labels.slice().reverse()},
      series: [{name: L.cases, type: "bar", data: data.hotspots.cases.slice().reverse(), itemStyle: {color: RED}}]
    }, data.hotspots.labels.length);
  }

  if (data.departments.labels.length) {
    draw("chart-departments", {
      legend: legend, grid: {left: 8, right: 24, top: 40, bottom: 8, containLabel: true},
      xAxis: {type: "value", max: 100, axisLabel: {formatter: "{value}%"}},
      yAxis: {type: "category", data: data.departments.labels.slice().reverse()},
      series: [
        {name: L.response, type: "bar", data: data.departments.response_rate.slice().reverse(), itemStyle: {color: BLUE}},
        {name: L.on_time, type: "bar", data: data.departments.resolved_on_time_rate.slice().reverse(), itemStyle: {color: GREEN}}
      ]
    }, data.departments.labels.length * 1.5);
  }

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
