// Draws every chart whose figure JSON the page embeds in
// <script type="application/json" data-chart="target-id">; no inline script, so the CSP holds.
(function () {
  "use strict";
  if (typeof Plotly === "undefined") { return; }
  var base = document.body.getAttribute("data-static") || "/static/";
  var config = {
    responsive: true,
    displaylogo: false,
    // Map geometry comes from our own static files: the app runs on closed networks.
    topojsonURL: base + "vendor/topojson/",
    modeBarButtonsToRemove: ["select2d", "lasso2d"]
  };
  document.querySelectorAll('script[type="application/json"][data-chart]').forEach(function (node) {
    var target = document.getElementById(node.getAttribute("data-chart"));
    if (!target) { return; }
    var figure = JSON.parse(node.textContent);
    Plotly.newPlot(target, figure.data, figure.layout || {}, config);
  });
})();
