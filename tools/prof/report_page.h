#pragma once
// The report page's style and script. The script reads the JSON block the C++ side embeds, draws the timeline
// (wheel to zoom, drag to pan, double-click to reset, hover for details) and the utilisation chart, then marks
// #status rendered; any script error marks it with the error instead (the Chromium test reads it).
namespace mxprof {

inline constexpr const char* kReportStyle = R"CSS(
body { font: 13px/1.4 system-ui, sans-serif; margin: 16px 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 22px 0 6px; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; text-align: right; border-bottom: 1px solid #eee; }
td:first-child, th:first-child { text-align: left; }
canvas { border: 1px solid #ccc; display: block; width: 100%; }
#tooltip { position: fixed; pointer-events: none; background: #fffbe6; border: 1px solid #bbb; padding: 4px 6px;
           font-size: 12px; display: none; white-space: pre; }
#status { color: #888; font-size: 11px; } .note { color: #666; }
pre { background: #f7f7f7; padding: 8px; overflow-x: auto; }
)CSS";

inline constexpr const char* kReportScript = R"JS(
(function () {
  'use strict';
  var status = document.getElementById('status');
  window.onerror = function (message) {
    status.textContent = 'error: ' + message;
    status.setAttribute('data-state', 'error');
  };
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var rowHeight = 18, labelWidth = 260;
  var view = { begin: data.begin, end: data.end };

  function colour(index) {
    var hue = (index * 137.508) % 360;
    return 'hsl(' + hue.toFixed(0) + ',55%,62%)';
  }
  function fitCanvas(canvas, height) {
    var ratio = window.devicePixelRatio || 1;
    var width = canvas.parentElement.clientWidth || 1200;
    canvas.width = width * ratio; canvas.height = height * ratio;
    canvas.style.height = height + 'px';
    var context = canvas.getContext('2d');
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return { context: context, width: width, height: height };
  }

  var timeline = document.getElementById('timeline');
  function drawTimeline() {
    var c = fitCanvas(timeline, data.rows.length * rowHeight + 24), g = c.context;
    var plot = c.width - labelWidth, span = Math.max(view.end - view.begin, 1e-9);
    g.clearRect(0, 0, c.width, c.height);
    g.font = '11px sans-serif';
    data.rows.forEach(function (row, r) {
      var y = r * rowHeight;
      g.fillStyle = r % 2 ? '#fafafa' : '#f0f0f0';
      g.fillRect(0, y, c.width, rowHeight);
      g.fillStyle = '#333';
      g.fillText(row.label, 4, y + 13);
      row.spans.forEach(function (s) {
        var x0 = labelWidth + (s[0] - view.begin) / span * plot;
        var x1 = labelWidth + (s[0] + s[1] - view.begin) / span * plot;
        if (x1 < labelWidth || x0 > c.width) return;
        g.fillStyle = colour(s[2]);
        g.fillRect(Math.max(x0, labelWidth), y + 2, Math.max(x1 - Math.max(x0, labelWidth), 0.5), rowHeight - 4);
      });
    });
    var axisY = data.rows.length * rowHeight;
    g.fillStyle = '#333';
    for (var t = 0; t <= 10; t++) {
      var x = labelWidth + t / 10 * plot;
      var ms = (view.begin + t / 10 * span - data.begin) / 1000;
      g.fillRect(x, axisY, 1, 5);
      if (t % 2) continue;  // a label every other tick: they fit
      g.textAlign = t === 10 ? 'right' : 'left';
      g.fillText(ms.toFixed(3) + ' ms', t === 10 ? x - 2 : x + 2, axisY + 16);
      g.textAlign = 'left';
    }
  }

  function drawUtilisation() {
    var canvas = document.getElementById('utilisation');
    var c = fitCanvas(canvas, 160), g = c.context, u = data.utilisation;
    g.clearRect(0, 0, c.width, c.height);
    var peak = 1;
    u.series.forEach(function (s) { s.values.forEach(function (v) { peak = Math.max(peak, v); }); });
    var plot = c.width - labelWidth;
    u.series.forEach(function (s, k) {
      g.strokeStyle = colour(k * 3 + 1); g.lineWidth = 1.5; g.beginPath();
      s.values.forEach(function (v, i) {
        var x = labelWidth + (i + 0.5) / s.values.length * plot, y = 150 - v / peak * 130;
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.stroke();
      g.fillStyle = colour(k * 3 + 1);
      g.fillText(s.label + ' (workers busy, peak ' + peak.toFixed(1) + ')', 4, 16 + 14 * k);
    });
  }

  var tooltip = document.getElementById('tooltip');
  timeline.addEventListener('mousemove', function (event) {
    var box = timeline.getBoundingClientRect();
    var x = event.clientX - box.left, r = Math.floor((event.clientY - box.top) / rowHeight);
    var row = data.rows[r], plot = box.width - labelWidth;
    tooltip.style.display = 'none';
    if (!row || x < labelWidth) return;
    var t = view.begin + (x - labelWidth) / plot * (view.end - view.begin);
    var tolerance = 2 / plot * (view.end - view.begin);
    for (var i = 0; i < row.spans.length; i++) {
      var s = row.spans[i];
      if (s[0] - tolerance <= t && t <= s[0] + s[1] + tolerance) {
        tooltip.textContent = data.names[s[2]] + '\n' + s[1].toFixed(2) + ' us at ' +
            ((s[0] - data.begin) / 1000).toFixed(3) + ' ms' + (s[3] ? '\n' + data.inputs[s[3]] : '');
        tooltip.style.left = (event.clientX + 12) + 'px';
        tooltip.style.top = (event.clientY + 12) + 'px';
        tooltip.style.display = 'block';
        return;
      }
    }
  });
  timeline.addEventListener('wheel', function (event) {
    event.preventDefault();
    var box = timeline.getBoundingClientRect(), plot = box.width - labelWidth;
    var at = view.begin + Math.max(0, event.clientX - box.left - labelWidth) / plot * (view.end - view.begin);
    var factor = event.deltaY < 0 ? 0.8 : 1.25;
    view.begin = at - (at - view.begin) * factor;
    view.end = at + (view.end - at) * factor;
    drawTimeline();
  }, { passive: false });
  var dragFrom = null;
  timeline.addEventListener('mousedown', function (event) { dragFrom = { x: event.clientX, begin: view.begin, end: view.end }; });
  window.addEventListener('mouseup', function () { dragFrom = null; });
  window.addEventListener('mousemove', function (event) {
    if (!dragFrom) return;
    var plot = timeline.getBoundingClientRect().width - labelWidth;
    var shift = (dragFrom.x - event.clientX) / plot * (dragFrom.end - dragFrom.begin);
    view.begin = dragFrom.begin + shift; view.end = dragFrom.end + shift;
    drawTimeline();
  });
  timeline.addEventListener('dblclick', function () { view.begin = data.begin; view.end = data.end; drawTimeline(); });
  window.addEventListener('resize', function () { drawTimeline(); drawUtilisation(); });

  drawTimeline();
  drawUtilisation();
  status.textContent = 'rendered ' + data.rows.length + ' rows';
  status.setAttribute('data-state', 'rendered');
})();
)JS";

}  // namespace mxprof
