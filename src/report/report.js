// virtperf report: draws the figures' JSON (src/report/fig.h says its form)
// with ECharts, each figure followed by its table. No figure is computed
// here: the numbers come from C, once; this only turns them into options.
// The body's data-chart-count, data-series-points, data-empty-charts,
// data-errors and data-render-ms (from navigation start to the last chart)
// attributes summarise what was drawn (the tests read them).
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) {
    errors.push(String(e.message));
    document.body.setAttribute('data-errors', errors.join(' | '));
  });
  var t0 = performance.now();
  var doc = JSON.parse(document.getElementById('vp-data').textContent);
  var root = document.getElementById('report');
  var charts = 0, points = 0, empty = 0;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  function base(fig) {
    return {
      animation: false,
      tooltip: { trigger: 'axis', confine: true },
      legend: { type: 'scroll', top: 0 },
      grid: fig.kind === 'xy' ? { left: 70, right: fig.y2 ? 70 : 30, top: 40, bottom: 70 }
        : { left: 60, right: 30, top: 40, bottom: 10, containLabel: true },
      toolbox: { feature: { dataZoom: {}, restore: {}, saveAsImage: {} } },
    };
  }

  // A vertical 95% CI whisker per [x, lo, hi] (x a category index or value),
  // on bar k of m in each category (the layout of kinds.bars' series).
  function whiskers(name, data, k, m) {
    return {
      name: name, type: 'custom', z: 10, tooltip: { show: false }, encode: { x: 0, y: [1, 2] },
      data: data.filter(function (d) { return d[1] !== null && d[2] !== null; }),
      renderItem: function (params, api) {
        var lo = api.coord([api.value(0), api.value(1)]);
        var hi = api.coord([api.value(0), api.value(2)]);
        var w = 6, style = { stroke: '#333', lineWidth: 1.2 };
        if (m > 1) { // barCategoryGap 20%, barGap 30%
          var avail = api.size([1, 0])[0] * 0.8, bw = avail / (m + (m - 1) * 0.3);
          lo[0] = hi[0] = lo[0] - avail / 2 + k * bw * 1.3 + bw / 2;
          w = Math.min(w, bw / 3);
        }
        return {
          type: 'group', children: [
            { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style: style },
            { type: 'line', shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style: style },
            { type: 'line', shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style: style },
          ],
        };
      },
    };
  }

  // Every category labelled while there are few; past 30, as many as fit
  // (measuring a hundred slanted labels is most of a big report's time).
  function axisLabel(n) {
    return n > 30 ? { rotate: 30 } : { interval: 0, rotate: 30, width: 220, overflow: 'truncate' };
  }

  var kinds = {
    bars: function (fig) {
      var o = base(fig);
      o.xAxis = { type: 'category', data: fig.x, axisLabel: axisLabel(fig.x.length) };
      o.yAxis = { type: 'value', name: fig.y };
      o.series = [];
      var m = fig.series.length;
      fig.series.forEach(function (s, k) {
        o.series.push({ name: s.name, type: 'bar', data: s.data, barGap: '30%', barCategoryGap: '20%' });
        points += s.data.filter(function (v) { return v !== null; }).length;
        if (s.lo) {
          o.series.push(whiskers(s.name + ' 95% CI', s.data.map(function (v, i) {
            return [i, s.lo[i], s.hi[i]];
          }), k, m));
        }
      });
      return o;
    },
    box: function (fig) {
      var o = base(fig);
      o.tooltip = { trigger: 'item', confine: true };
      o.xAxis = {
        type: 'category', axisLabel: axisLabel(fig.x.length),
        data: fig.x.map(function (x, i) { return fig.sub ? fig.sub[i] + ' · ' + x : x; }),
      };
      o.yAxis = { type: fig.ylog ? 'log' : 'value', name: fig.y };
      o.series = [
        { name: fig.y, type: 'boxplot', data: fig.box },
        { name: 'outliers', type: 'scatter', data: fig.outliers, symbolSize: 5 },
      ];
      points += fig.box.length;
      return o;
    },
    xy: function (fig) {
      var o = base(fig);
      o.xAxis = { type: 'value', name: fig.xname, nameLocation: 'middle', nameGap: 28, scale: true };
      o.yAxis = [{ type: 'value', name: fig.y }];
      if (fig.y2) o.yAxis.push({ type: 'value', name: fig.y2 });
      o.dataZoom = [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }];
      o.series = [];
      var scatter = fig.series.some(function (s) { return s.type === 'scatter'; });
      fig.series.forEach(function (s) {
        o.series.push({
          name: s.name, type: s.type, data: s.data, yAxisIndex: s.axis || 0, color: s.color,
          showSymbol: s.type === 'scatter' || (!scatter && s.data.length < 60),
          symbolSize: s.type === 'scatter' ? 10 : 6, z: s.type === 'scatter' ? 5 : 2,
        });
        points += s.data.length;
        if (s.err) o.series.push(whiskers(s.name, s.err));
      });
      if (fig.marks && fig.marks.length && o.series.length) {
        o.series[0].markLine = {
          symbol: 'none', silent: true, lineStyle: { color: '#999', type: 'dashed' },
          label: { formatter: '{b}', position: 'end' },
          data: fig.marks.map(function (m) { return { xAxis: m[0], name: m[1] }; }),
        };
      }
      return o;
    },
  };

  function table(t) {
    var tab = el('table'), tr = el('tr');
    t.columns.forEach(function (c) { tr.appendChild(el('th', c)); });
    tab.appendChild(tr);
    t.rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) { row.appendChild(el('td', c)); });
      tab.appendChild(row);
    });
    return tab;
  }

  function figure(fig, parent) {
    var box = el('div', null, 'figure');
    box.setAttribute('data-kind', fig.kind);
    box.appendChild(el('h3', fig.title));
    if (fig.note) box.appendChild(el('p', fig.note, 'note'));
    parent.appendChild(box);
    if (kinds[fig.kind]) {
      var div = el('div', null, 'chart');
      box.appendChild(div);
      var before = points, tf = performance.now(), opt = kinds[fig.kind](fig);
      opt.legend.data = opt.series.filter(function (s) { return s.type !== 'custom'; })
        .map(function (s) { return s.name; });
      echarts.init(div, null, { renderer: 'canvas' }).setOption(opt);
      charts++;
      div.setAttribute('data-points', String(points - before)); div.setAttribute('data-ms', String(Math.round(performance.now() - tf)));
      if (points === before) empty++;
    }
    if (fig.table) {
      var long = fig.table.rows.length > 30;
      var holder = box;
      if (long) {
        holder = el('details');
        holder.appendChild(el('summary', 'table: ' + fig.table.rows.length + ' rows'));
        box.appendChild(holder);
      }
      holder.appendChild(table(fig.table));
    }
  }

  doc.sections.forEach(function (sec) {
    var s = el('section');
    s.appendChild(el('h2', sec.title));
    if (sec.subtitle) s.appendChild(el('p', sec.subtitle, 'note'));
    root.appendChild(s);
    sec.figures.forEach(function (f) { figure(f, s); });
  });
  root.appendChild(el('p', 'store: ' + doc.store, 'note'));
  document.body.setAttribute('data-chart-count', String(charts));
  document.body.setAttribute('data-series-points', String(points));
  document.body.setAttribute('data-empty-charts', String(empty));
  document.body.setAttribute('data-errors', errors.join(' | '));
  document.body.setAttribute('data-render-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-script-ms', String(Math.round(performance.now() - t0)));
  document.body.setAttribute('data-done', '1');
})();
