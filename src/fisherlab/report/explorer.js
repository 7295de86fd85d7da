// The likelihood explorer (fisherlab.report.explorer): look-ups in the embedded
// likelihood table, and drawing; nothing else. The slider steps through a curve's grid
// points, so every reading is a row of the table (at the MLE, ℓ − ℓ(MLE) is its 0).
(function () {
  // JSON has no infinities: the table's (an unbounded likelihood-ratio end, the
  // information at p = 0) come as the strings "inf" and "-inf"
  var DATA = JSON.parse(document.getElementById('lx-data').textContent, function (k, v) {
    return v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v;
  });
  var NS = 'http://www.w3.org/2000/svg';
  var W = 1140, H = 400, L = 70, R = 110, T = 34, B = 300, STRIP = 330;
  var COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
  var DASH = ['', '6 4', '2 3', '8 3 2 3'];
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function fmt(v) {
    if (v === Infinity) { return '∞'; }
    if (v === -Infinity) { return '−∞'; }
    if (v === null || v === undefined || !isFinite(v)) { return '–'; }
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) { return v.toExponential(3); }
    return Number(v.toPrecision(4)).toString();
  }
  function ticks(lo, hi, count) {
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
    var err = (hi - lo) / count / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
    }
    return out;
  }
  function setup(box) {
    var curves = DATA[box.getAttribute('data-param')];
    var svg = box.querySelector('.lx-plot');
    var nSel = box.querySelector('.lx-n'), rSel = box.querySelector('.lx-rep');
    var slider = box.querySelector('.lx-slider');
    var sizes = [];
    curves.forEach(function (c) { if (sizes.indexOf(c.n) < 0) { sizes.push(c.n); } });
    var reps = [];
    curves.forEach(function (c) { if (reps.indexOf(c.replicate) < 0) { reps.push(c.replicate); } });
    var x0 = curves[0].theta[0], x1 = curves[0].theta[curves[0].theta.length - 1];
    // up to the highest point of any curve: a curve above its MLE (a mixture's, whose
    // likelihood grows without bound) is drawn whole, not cut at the top
    var top = 0;
    curves.forEach(function (c) {
      c.rel.forEach(function (v) { if (v !== null && isFinite(v) && v > top) { top = v; } });
    });
    var cut = curves[0].cutoff, ylo = Math.min(-6, 3 * cut), yhi = top + 0.6;
    function X(v) { return L + (v - x0) / (x1 - x0) * (W - L - R); }
    function Y(v) { return T + (yhi - v) / (yhi - ylo) * (B - T); }
    function chosen() {
      var n = Number(nSel.value), k = Number(rSel.value);
      return curves.filter(function (c) { return c.n === n && c.replicate === k; })[0] || curves[0];
    }
    var legend = box.querySelector('.lx-legend');
    legend.innerHTML = sizes.map(function (n, i) {
      return '<span><i style="background:' + COLORS[i % COLORS.length] + '"></i>n = ' + n + '</span>';
    }).join('') + (reps.length > 1 ? '<span>line style: replicate</span>' : '');
    function draw() {
      var c = chosen();
      while (svg.firstChild) { svg.removeChild(svg.firstChild); }
      var clip = el('clipPath', {id: 'lx-clip-' + box.getAttribute('data-param')}, el('defs', {}, svg));
      el('rect', {x: L, y: T, width: W - L - R, height: B - T}, clip);
      var axis = {stroke: '#999', 'stroke-width': 1};
      el('line', Object.assign({x1: L, y1: B, x2: W - R, y2: B}, axis), svg);
      el('line', Object.assign({x1: L, y1: T, x2: L, y2: B}, axis), svg);
      ticks(x0, x1, 8).forEach(function (v) {
        el('line', {x1: X(v), y1: B, x2: X(v), y2: B + 5, stroke: '#999'}, svg);
        el('text', {x: X(v), y: B + 18, 'text-anchor': 'middle'}, svg).textContent = fmt(v);
      });
      ticks(ylo, yhi, 6).forEach(function (v) {
        el('line', {x1: L - 5, y1: Y(v), x2: L, y2: Y(v), stroke: '#999'}, svg);
        el('text', {x: L - 8, y: Y(v) + 4, 'text-anchor': 'end'}, svg).textContent = fmt(v);
      });
      var yl = el('text', {x: 16, y: (T + B) / 2, 'text-anchor': 'middle',
                           transform: 'rotate(-90 16 ' + (T + B) / 2 + ')'}, svg);
      yl.textContent = 'ℓ − ℓ(MLE)';
      el('line', {x1: L, y1: Y(cut), x2: W - R, y2: Y(cut), stroke: '#666', 'stroke-dasharray': '5 4'}, svg);
      el('text', {x: W - R + 6, y: Y(cut) + 4}, svg).textContent = 'LR cutoff ' + fmt(cut);
      var g = el('g', {'clip-path': 'url(#lx-clip-' + box.getAttribute('data-param') + ')'}, svg);
      curves.forEach(function (cv) {
        var pts = [];
        cv.theta.forEach(function (t, i) {
          if (cv.rel[i] !== null) { pts.push(X(t).toFixed(1) + ',' + Y(Math.max(cv.rel[i], ylo - 1)).toFixed(1)); }
        });
        var on = cv === c;
        el('polyline', {points: pts.join(' '), fill: 'none',
          stroke: COLORS[sizes.indexOf(cv.n) % COLORS.length],
          'stroke-width': on ? 2.6 : 1.1, 'stroke-opacity': on ? 1 : 0.45,
          'stroke-dasharray': DASH[reps.indexOf(cv.replicate) % DASH.length]}, g);
      });
      var marks = [['truth', c.truth, '#000', ''], ['MLE', c.mle, '#1f4e9c', '6 3'],
                   ['MAP', c.map, '#8e44ad', '2 3']];
      marks.forEach(function (m, i) {
        if (m[1] === null || m[1] < x0 || m[1] > x1) { return; }
        el('line', {x1: X(m[1]), y1: T, x2: X(m[1]), y2: B, stroke: m[2], 'stroke-width': 1.3,
                    'stroke-dasharray': m[3]}, svg);
        el('text', {x: X(m[1]), y: T - 6 - 12 * (i % 2), 'text-anchor': 'middle', fill: m[2]},
           svg).textContent = m[0];
      });
      [['Wald', c.wald_low, c.wald_high, 0], ['LR', c.lr_low, c.lr_high, 1]].forEach(function (iv) {
        var y = STRIP + 20 * iv[3] + 8;
        el('text', {x: L - 8, y: y + 4, 'text-anchor': 'end'}, svg).textContent = iv[0];
        if (iv[1] === null || iv[2] === null) { return; }
        var a = Math.max(iv[1], x0), b = Math.min(iv[2], x1);
        el('line', {x1: X(a), y1: y, x2: X(b), y2: y, stroke: '#1f4e9c', 'stroke-width': 3}, svg);
        [iv[1], iv[2]].forEach(function (v) {
          if (v >= x0 && v <= x1) { el('line', {x1: X(v), y1: y - 6, x2: X(v), y2: y + 6, stroke: '#1f4e9c'}, svg); }
        });
      });
      // observed data (fisherlab fit) have no truth: their marks start at the MLE
      box.querySelector('.lx-marks').textContent = 'n = ' + c.n +
        (reps.length > 1 ? ', replicate ' + c.replicate : '') + ': ' + (c.truth === null ? '' : 'truth ' + fmt(c.truth) + '; ') + 'MLE ' + fmt(c.mle) + ' (observed information ' +
        fmt(c.mle_information) + ')' + (c.map === null ? '' : '; MAP ' + fmt(c.map)) +
        '; Wald interval [' + fmt(c.wald_low) + ', ' + fmt(c.wald_high) +
        ']; likelihood-ratio interval [' + fmt(c.lr_low) + ', ' + fmt(c.lr_high) + '].';
      var cur = el('g', {}, svg);
      function move() {
        while (cur.firstChild) { cur.removeChild(cur.firstChild); }
        var i = Math.min(Math.max(Number(slider.value), 0), c.theta.length - 1);
        var x = c.theta[i];
        var vals = {};
        Object.keys(c).forEach(function (k) { if (Array.isArray(c[k])) { vals[k] = c[k][i]; } });
        box.querySelectorAll('.lx-v').forEach(function (o) { o.textContent = fmt(vals[o.getAttribute('data-lx')]); });
        if (vals.rel === null) { return; }
        var y = Math.max(vals.rel, ylo), dx = (x1 - x0) / 12;
        var gg = el('g', {'clip-path': 'url(#lx-clip-' + box.getAttribute('data-param') + ')'}, cur);
        if (vals.score !== null) {
          el('line', {x1: X(x - dx), y1: Y(y - vals.score * dx), x2: X(x + dx),
                      y2: Y(y + vals.score * dx), stroke: '#c0392b', 'stroke-width': 1.5}, gg);
        }
        el('circle', {cx: X(x), cy: Y(y), r: 5, fill: '#c0392b'}, gg);
        el('text', {x: W - R + 6, y: T + 10, fill: '#c0392b'}, cur).textContent = 'slope = score';
      }
      slider.oninput = move;
      move();
    }
    function reset() {
      var c = chosen(), i = c.theta.indexOf(c.mle);
      if (i < 0) {  // not expected: the table puts each curve's MLE on its grid
        i = 0;
        c.theta.forEach(function (t, j) { if (Math.abs(t - c.mle) < Math.abs(c.theta[i] - c.mle)) { i = j; } });
      }
      slider.max = c.theta.length - 1;
      slider.value = i;
      draw();
    }
    nSel.onchange = reset;
    rSel.onchange = reset;
    reset();
  }
  document.querySelectorAll('.lx').forEach(setup);
})();
