/* mlpgrad's backprop explorer (autograd/explorer.py embeds this file in every page).
 *
 * The graph was laid out once by graphviz; from frame to frame this script changes only
 * classes and a few texts ("grad: —" until backprop reaches a node), so nothing moves.
 * Everything works inside one root element, so several explorers can share a page
 * (Jupyter). Data: the JSON in script.mlpx-data (see _build_data in explorer.py).
 */
(function () {
  "use strict";
  if (window.mlpgradExplorer1) return;
  var SVGNS = "http://www.w3.org/2000/svg";
  var PT = 4 / 3;            // CSS px per SVG unit: graphviz draws in points, so "100 %" is 4/3 px a unit
  var FULL_TABLE = 36;       // arrays up to this many elements (and 8 columns) are shown as a table of numbers
  var NODE_CLASSES = ["mlpx-done", "mlpx-cur", "mlpx-up", "mlpx-via", "mlpx-upd", "mlpx-inlayer", "mlpx-sel"];

  // -- small helpers -----------------------------------------------------------------
  function fmt(x) {
    if (x === null || x === undefined || !isFinite(x)) return "NaN";
    if (x === 0) return "0";
    var a = Math.abs(x);
    if (a >= 1e-4 && a < 1e6) return String(Number(x.toPrecision(4)));
    return x.toExponential(3).replace(/\.?0+e/, "e");
  }
  function clamp(x, lo, hi) { return Math.max(lo, Math.min(hi, x)); }
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === "text") el.textContent = attrs[k];
      else if (k === "on") Object.keys(attrs.on).forEach(function (ev) { el.addEventListener(ev, attrs.on[ev]); });
      else el.setAttribute(k, attrs[k]);
    });
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }
  function shapeText(shape) { return "(" + shape.join(", ") + (shape.length === 1 ? ",)" : ")"); }
  function size(shape) { return shape.reduce(function (p, q) { return p * q; }, 1); }
  function maxAbs(a) {
    var s = a.stats || {};
    return Math.max(Math.abs(s.min || 0), Math.abs(s.max || 0));
  }
  function diverge(v, m, alpha) {   // blue (negative) - white - red (positive)
    if (v === null || v === undefined || !isFinite(v)) return "rgba(148,163,184," + (alpha || 1) + ")";
    var t = m > 0 ? clamp(v / m, -1, 1) : 0, k = Math.abs(t);
    var c = t < 0 ? [37, 99, 235] : [220, 38, 38];
    return "rgba(" + Math.round(255 + (c[0] - 255) * k) + "," + Math.round(255 + (c[1] - 255) * k) + "," +
      Math.round(255 + (c[2] - 255) * k) + "," + (alpha === undefined ? 1 : alpha) + ")";
  }
  function shapeBox(g) {   // bounding box of a graphviz group from its shapes' coordinates
    var xs = [], ys = [];
    g.querySelectorAll(":scope > polygon, :scope > path, :scope > ellipse, :scope > polyline").forEach(function (el) {
      if (el.tagName === "ellipse") {
        var cx = +el.getAttribute("cx"), cy = +el.getAttribute("cy"), rx = +el.getAttribute("rx"), ry = +el.getAttribute("ry");
        xs.push(cx - rx, cx + rx); ys.push(cy - ry, cy + ry);
        return;
      }
      var nums = (el.getAttribute("points") || el.getAttribute("d") || "").match(/-?\d*\.?\d+(?:e-?\d+)?/g) || [];
      for (var i = 0; i + 1 < nums.length; i += 2) { xs.push(+nums[i]); ys.push(+nums[i + 1]); }
    });
    if (!xs.length) return null;
    var x = Math.min.apply(null, xs), y = Math.min.apply(null, ys);
    return { x: x, y: y, w: Math.max.apply(null, xs) - x, h: Math.max.apply(null, ys) - y };
  }
  function inside(b, c) {
    return b && c && b.x >= c.x - 1 && b.y >= c.y - 1 && b.x + b.w <= c.x + c.w + 1 && b.y + b.h <= c.y + c.h + 1;
  }

  window.mlpgradExplorer1 = function (root) {
    var data = JSON.parse(root.querySelector("script.mlpx-data").textContent);
    var $ = function (sel) { return root.querySelector(sel); };
    var view = $(".mlpx-view"), svg = view.querySelector("svg"), graph0 = svg.querySelector("g.graph");
    var panel = $(".mlpx-panel"), tip = $(".mlpx-tip"), caption = $(".mlpx-caption");
    var T = data.tensors, O = data.ops, F = data.frames, NV = data.neurons;
    var last = F.length - 1;
    var standalone = root.parentNode === document.body;
    var st = { frame: 0, sel: { t: data.root }, layer: null, timer: null, s: PT, x0: 0, y0: 0, drag: null, dragged: false };

    // -- the SVG: nodes, edges, clusters ------------------------------------------------
    var vb = svg.viewBox.baseVal, W = vb.width, H = vb.height;
    svg.removeAttribute("width"); svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    var tr = graph0.getAttribute("transform") || "";
    var mt = /translate\(\s*([-\d.e]+)[\s,]+([-\d.e]+)\s*\)/.exec(tr), ms = /scale\(\s*([-\d.e]+)(?:[\s,]+([-\d.e]+))?/.exec(tr);
    var TX = mt ? +mt[1] : 0, TY = mt ? +mt[2] : 0, SX = ms ? +ms[1] : 1, SY = ms && ms[2] ? +ms[2] : SX;
    function outer(b) { return b && { x: SX * (b.x + TX), y: SY * (b.y + TY), w: SX * b.w, h: SY * b.h }; }

    var nodeEl = {}, nodeBox = {}, owners = {}, layerOf = {};
    svg.querySelectorAll("g.node").forEach(function (g) {
      var t = g.querySelector("title");
      if (!t) return;
      nodeEl[t.textContent] = g; nodeBox[t.textContent] = shapeBox(g); g.__id = t.textContent;
    });
    var edges = [];
    svg.querySelectorAll("g.edge").forEach(function (g) {
      var ends = (g.querySelector("title") || { textContent: "" }).textContent.split("->");
      edges.push({ el: g, src: ends[0], dst: ends[1] });
    });
    function own(id, entry) { if (id) (owners[id] = owners[id] || []).push(entry); }
    T.forEach(function (t, i) { t.i = i; t.el = t.node ? nodeEl[t.node] || null : null; own(t.node, { t: i }); });
    O.forEach(function (o, j) { o.j = j; own(o.node, { o: j }); });
    T.forEach(function (t) {   // the texts that change: "grad: …" until computed, "data: …" after SGD
      t.own = !!t.el && owners[t.node].length === 1;
      t.gradTexts = []; t.dataTexts = [];
      if (!t.own) return;
      t.el.querySelectorAll("text").forEach(function (tx) {
        var s = tx.textContent;
        if (s.indexOf("grad:") === 0) t.gradTexts.push([tx, s]);
        else if (s.indexOf("data:") === 0) t.dataTexts.push([tx, s]);
      });
    });
    if (NV) NV.layers.forEach(function (L, l) {
      L.nodes.forEach(function (id) { if (layerOf[id] === undefined) layerOf[id] = l; });
      L.name = T[L.weight].label.replace(/\.?weight$/, "") || ("layer " + l);
    });

    var rootId = T[data.root].node;   // the output stays visible when its module is folded, as in draw_graph
    var clusters = [];
    svg.querySelectorAll("g.cluster").forEach(function (g) {
      var label = Array.prototype.map.call(g.querySelectorAll(":scope > text"), function (t) { return t.textContent; }).join("");
      var c = { el: g, box: shapeBox(g), label: label, members: [], kids: [], collapsed: false, boxEl: null };
      g.__cluster = c;
      clusters.push(c);
    });
    clusters.forEach(function (c) {
      Object.keys(nodeBox).forEach(function (id) { if (inside(nodeBox[id], c.box)) c.members.push(id); });
      clusters.forEach(function (d) { if (d !== c && inside(d.box, c.box)) c.kids.push(d); });
      c.area = c.box ? c.box.w * c.box.h : 0;
    });
    clusters.sort(function (a, b) { return b.area - a.area; });   // outermost first

    // -- module clusters: fold in place (the layout stays; a box covers the cluster) --------
    function boxFor(c) {
      if (c.boxEl) return c.boxEl;
      var b = c.box, g = document.createElementNS(SVGNS, "g");
      g.setAttribute("class", "mlpx-box");
      var r = document.createElementNS(SVGNS, "rect");
      [["x", b.x], ["y", b.y], ["width", b.w], ["height", b.h], ["rx", 8]].forEach(function (a) { r.setAttribute(a[0], a[1]); });
      var t1 = document.createElementNS(SVGNS, "text"), t2 = document.createElementNS(SVGNS, "text");
      var fs = clamp(Math.min(b.h / 4, b.w / ((c.label.length + 2) * 0.62)), 12, 40);   // readable when zoomed out
      t1.setAttribute("x", b.x + 10); t1.setAttribute("y", b.y + 8 + fs);
      t1.setAttribute("style", "font-size:" + fs + "px");
      t1.textContent = "▸ " + c.label;
      t2.setAttribute("x", b.x + 10); t2.setAttribute("y", Math.min(b.y + 14 + 1.9 * fs, b.y + b.h - 4));
      t2.setAttribute("style", "font-size:" + Math.max(11, 0.62 * fs) + "px");
      t2.setAttribute("class", "mlpx-sub");
      var nt = c.members.filter(function (id) { return id[0] === "t"; }).length;
      t2.textContent = c.members.length + " nodes folded (" + nt + " tensors) · click to unfold";
      var title = document.createElementNS(SVGNS, "title");
      title.textContent = c.label + ": click to unfold";
      g.appendChild(title); g.appendChild(r); g.appendChild(t1); g.appendChild(t2);
      g.__cluster = c;
      graph0.appendChild(g);
      if (rootId && nodeEl[rootId] && c.members.indexOf(rootId) >= 0) graph0.appendChild(nodeEl[rootId]);   // stays on top
      c.boxEl = g;
      return g;
    }
    var hiddenBy = {};   // node id -> the outermost folded cluster hiding it
    function refreshFolds() {
      hiddenBy = {};
      clusters.forEach(function (c) {   // outermost first, so the first fold found wins
        if (c.collapsed) c.members.forEach(function (id) { if (!hiddenBy[id] && id !== rootId) hiddenBy[id] = c; });
      });
      Object.keys(nodeEl).forEach(function (id) { nodeEl[id].classList.toggle("mlpx-hide", !!hiddenBy[id]); });
      edges.forEach(function (e) { e.el.classList.toggle("mlpx-hide", !!(hiddenBy[e.src] && hiddenBy[e.dst])); });
      clusters.forEach(function (c) {
        var shown = c.collapsed && !clusters.some(function (d) { return d !== c && d.collapsed && d.kids.indexOf(c) >= 0; });
        if (shown) boxFor(c).classList.remove("mlpx-hide");
        else if (c.boxEl) c.boxEl.classList.add("mlpx-hide");
        c.el.querySelectorAll(":scope > text").forEach(function (t) {
          t.setAttribute("title", "click to fold");
        });
      });
    }
    function toggleFold(c) { c.collapsed = !c.collapsed; refreshFolds(); render(); }
    function foldAll(on) {
      clusters.forEach(function (c) { c.collapsed = on && c.kids.length === 0 && c.members.length > 1; });
      refreshFolds(); render();
    }

    // -- pan and zoom: the viewBox is the camera -------------------------------------------
    function vsize() { return { w: view.clientWidth || 800, h: view.clientHeight || 480 }; }
    function apply() {
      var v = vsize();
      svg.setAttribute("viewBox", [st.x0, st.y0, v.w / st.s, v.h / st.s].join(" "));
      $(".mlpx-zoom").textContent = Math.round(st.s / PT * 100) + " %";
    }
    function zoomAt(px, py, factor) {
      var s2 = clamp(st.s * factor, 0.03, 12);
      st.x0 += px / st.s - px / s2; st.y0 += py / st.s - py / s2; st.s = s2;
      apply();
    }
    function zoomBy(factor) { var v = vsize(); zoomAt(v.w / 2, v.h / 2, factor); }
    function centerOn(x, y) { var v = vsize(); st.x0 = x - v.w / 2 / st.s; st.y0 = y - v.h / 2 / st.s; apply(); }
    function fit() { var v = vsize(); st.s = Math.min(v.w / W, v.h / H) * 0.98; centerOn(W / 2, H / 2); }
    function actualSize() {
      var v = vsize(), cx = st.x0 + v.w / 2 / st.s, cy = st.y0 + v.h / 2 / st.s;
      st.s = PT; centerOn(cx, cy);
    }
    function boxOfNode(id) {
      var c = hiddenBy[id];
      return outer(c ? c.box : nodeBox[id]);
    }
    function ensureVisible(id) {
      var b = id && boxOfNode(id);
      if (!b) return;
      var v = vsize(), m = 20 / st.s, x1 = st.x0 + v.w / st.s, y1 = st.y0 + v.h / st.s;
      if (b.x < st.x0 + m || b.y < st.y0 + m || b.x + b.w > x1 - m || b.y + b.h > y1 - m) centerOn(b.x + b.w / 2, b.y + b.h / 2);
    }
    view.addEventListener("wheel", function (e) {
      e.preventDefault();
      var r = view.getBoundingClientRect(), dy = e.deltaY * (e.deltaMode === 1 ? 16 : 1);
      zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-dy * 0.0015));
    }, { passive: false });
    view.addEventListener("pointerdown", function (e) {
      if (e.button !== 0) return;
      st.drag = { x: e.clientX, y: e.clientY, x0: st.x0, y0: st.y0 };
      st.dragged = false;
    });
    window.addEventListener("pointermove", function (e) {
      var d = st.drag;
      if (!d) return;
      var dx = e.clientX - d.x, dy = e.clientY - d.y;
      if (!st.dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
      st.dragged = true;
      view.classList.add("mlpx-dragging");
      st.x0 = d.x0 - dx / st.s; st.y0 = d.y0 - dy / st.s;
      apply();
    });
    window.addEventListener("pointerup", function () { st.drag = null; view.classList.remove("mlpx-dragging"); });

    // -- clicking and hovering in the graph ------------------------------------------------
    svg.addEventListener("click", function (e) {
      if (st.dragged) { st.dragged = false; return; }
      var box = e.target.closest("g.mlpx-box");
      if (box) { toggleFold(box.__cluster); return; }
      var cl = e.target.closest("g.cluster");
      if (cl && e.target.tagName === "text") { toggleFold(cl.__cluster); return; }
      var g = e.target.closest("g.node");
      if (g) selectNode(g.__id);
    });
    svg.addEventListener("mousemove", function (e) {
      var g = e.target.closest("g.node");
      if (!g || st.drag) { tip.hidden = true; return; }
      showTip(e, tipText(g.__id));
    });
    svg.addEventListener("mouseleave", function () { tip.hidden = true; });
    function showTip(e, text) {
      if (!text) { tip.hidden = true; return; }
      tip.textContent = text;
      tip.hidden = false;
      tip.style.left = Math.min(e.clientX + 14, window.innerWidth - 300) + "px";
      tip.style.top = (e.clientY + 14) + "px";
    }
    function gradShown(t) { return !!t.grad && t.step !== null && t.step <= st.frame; }
    function tipText(id) {
      var own = owners[id] || [];
      if (own.length !== 1) return own.length ? own.length + " nodes in this box: click to list them" : "";
      if (own[0].o !== undefined) { var o = O[own[0].o]; return o.name + ": " + o.rule; }
      var t = T[own[0].t];
      return t.label + "  " + shapeText(t.shape) + " " + t.dtype + "\nvalue: " + t.value.text + "\ngrad:  " +
        (gradShown(t) ? t.grad.text : t.grad ? "— (step " + t.step + ")" : "— (needs none)");
    }
    function selectNode(id) {
      var own = owners[id] || [];
      st.sel = own.length === 1 ? own[0] : { node: id };
      if (layerOf[id] !== undefined) st.layer = layerOf[id];
      render(false);
    }
    function selectTensor(i, follow) {
      st.sel = { t: i };
      render(false);
      if (follow !== false) ensureVisible(T[i].node);
    }

    // -- frames ------------------------------------------------------------------------------
    function go(f) {
      st.frame = clamp(f, 0, last);
      var fr = F[st.frame];
      if (fr.kind === "step") st.sel = { t: fr.tensor };
      if (fr.kind === "sgd" && !(st.sel.t !== undefined && T[st.sel.t].after)) {
        var p = T.filter(function (t) { return t.after; });
        if (p.length) st.sel = { t: p[p.length - 1].i };
      }
      if (st.frame === last && st.timer) play(false);
      render(true);
    }
    function play(on) {
      if (on && !st.timer && st.frame < last) st.timer = setInterval(function () { go(st.frame + 1); }, 1100);
      if (!on && st.timer) { clearInterval(st.timer); st.timer = null; }
      controls();
    }
    function controls() {
      var f = st.frame;
      $(".mlpx-first").disabled = f === 0; $(".mlpx-prev").disabled = f === 0;
      $(".mlpx-next").disabled = f === last; $(".mlpx-last").disabled = f === last;
      var p = $(".mlpx-play");
      p.disabled = f === last && !st.timer;
      p.textContent = st.timer ? "❚❚ pause" : "▶ play";
      $(".mlpx-slider").value = f;
      var kind = F[f].kind, steps = F.filter(function (x) { return x.kind === "step"; }).length;
      $(".mlpx-pos").textContent = kind === "forward" ? "start (forward done)" : kind === "sgd" ? "SGD update" : "step " + f + " of " + steps;
    }
    function render(follow) {
      var f = st.frame, fr = F[f], cur = fr.kind === "step" ? fr.tensor : null, sgd = fr.kind === "sgd";
      var cls = {};
      function add(id, c) { if (id) (cls[id] = cls[id] || {})[c] = true; }
      T.forEach(function (t) {
        var shown = gradShown(t);
        if (t.own) {
          if (shown && t.i !== cur) add(t.node, "mlpx-done");
          t.gradTexts.forEach(function (p) {
            p[0].textContent = shown || !t.grad ? p[1] : "grad: —";
            p[0].classList.toggle("mlpx-pending", !shown && !!t.grad);
          });
          t.dataTexts.forEach(function (p) { p[0].textContent = sgd && t.after ? "data: " + t.after.text : p[1]; });
        }
        if (sgd && t.after) add(t.node, "mlpx-upd");
      });
      var flow = {};
      if (cur !== null) {
        add(T[cur].node, "mlpx-cur");
        fr.uses.forEach(function (u) {
          var on = O[u.op].node, out = T[u.output].node;
          add(on, "mlpx-via"); add(out, "mlpx-up");
          flow[T[cur].node + "->" + on] = true; flow[on + "->" + out] = true;
        });
      }
      if (st.layer !== null && NV) NV.layers[st.layer].nodes.forEach(function (id) { add(id, "mlpx-inlayer"); });
      var selId = st.sel.t !== undefined ? T[st.sel.t].node : st.sel.o !== undefined ? O[st.sel.o].node : st.sel.node;
      if (!(cls[selId] && cls[selId]["mlpx-cur"])) add(selId, "mlpx-sel");
      Object.keys(nodeEl).forEach(function (id) {
        var c = cls[id] || {}, el = nodeEl[id];
        NODE_CLASSES.forEach(function (k) { el.classList.toggle(k, !!c[k]); });
      });
      edges.forEach(function (e) { e.el.classList.toggle("mlpx-flow", !!flow[e.src + "->" + e.dst]); });
      clusters.forEach(function (c) {
        if (!c.boxEl) return;
        c.boxEl.classList.toggle("mlpx-cur", c.members.some(function (id) { return cls[id] && cls[id]["mlpx-cur"]; }));
        c.boxEl.classList.toggle("mlpx-inlayer", c.members.some(function (id) { return cls[id] && cls[id]["mlpx-inlayer"]; }));
      });
      caption.textContent = fr.caption;
      controls();
      renderPanel();
      drawNeurons();
      if (follow && cur !== null && $(".mlpx-follow").checked) ensureVisible(T[cur].node);
    }

    // -- the side panel ------------------------------------------------------------------------
    function tlink(i) {
      return h("a", { text: T[i].label, title: shapeText(T[i].shape), on: { click: function (e) { e.preventDefault(); selectTensor(i); } } });
    }
    function olink(j) {
      return h("a", { text: O[j].name, on: { click: function (e) { e.preventDefault(); st.sel = { o: j }; render(false); ensureVisible(O[j].node); } } });
    }
    function flink(f, text) {
      return h("a", { text: text, on: { click: function (e) { e.preventDefault(); go(f); } } });
    }
    function arrView(a, cls) {
      var d = h("div", { class: "mlpx-arr" + (cls ? " " + cls : "") });
      var n = size(a.shape), s = a.stats || {};
      var cols = a.shape.length ? a.shape[a.shape.length - 1] : 1;
      if (a.shape.length <= 1) cols = Math.min(Math.max(cols, 1), 6);
      if (a.data && n <= FULL_TABLE && cols <= 8) {
        var tb = h("table");
        for (var r = 0; r * cols < n; r++) {
          var row = h("tr");
          for (var c = 0; c < cols && r * cols + c < n; c++) {
            var k = r * cols + c;
            row.appendChild(h("td", { text: fmt(a.data[k]), title: "[" + indexOf(a.shape, k).join(", ") + "]" }));
          }
          tb.appendChild(row);
        }
        d.appendChild(tb);
        return d;
      }
      d.appendChild(h("div", { class: "mlpx-stats", text: "mean " + fmt(s.mean) + " · std " + fmt(s.std) + " · min " +
        fmt(s.min) + " · max " + fmt(s.max) + " · ‖·‖ " + fmt(s.norm) + (s.nonfinite ? " · " + s.nonfinite + " non-finite" : "") }));
      d.appendChild(heatmap(a));
      return d;
    }
    function indexOf(shape, k) {
      var idx = [];
      for (var i = shape.length - 1; i >= 0; i--) { idx.unshift(k % shape[i]); k = Math.floor(k / shape[i]); }
      return idx;
    }
    function heatmap(a) {
      var wrap = h("div"), cols, rows, vals, grid = !a.data;
      if (grid) { rows = a.grid.rows; cols = a.grid.cols; vals = a.grid.data; }
      else { cols = a.shape.length ? a.shape[a.shape.length - 1] : 1; rows = size(a.shape) / cols; vals = a.data; }
      // square cells for a matrix; a vector or a few rows get strips tall enough to see
      var cw = clamp(Math.floor(340 / cols), 1, 24), ch = clamp(Math.floor(340 / rows), 1, 24);
      if (rows > 4) cw = ch = Math.min(cw, ch); else ch = 14;
      var cv = h("canvas", { width: cols * cw, height: rows * ch });
      var ctx = cv.getContext("2d"), m = maxAbs(a);
      for (var r = 0; r < rows; r++) for (var c = 0; c < cols; c++) {
        ctx.fillStyle = diverge(vals[r * cols + c], m);
        ctx.fillRect(c * cw, r * ch, cw, ch);
      }
      var info = h("div", { class: "mlpx-cell", text: grid ? "heat-map of block means (" + rows + " × " + cols + " blocks); hover a cell" :
        "heat-map, blue < 0 < red (±" + fmt(m) + "); hover a cell" });
      cv.addEventListener("mousemove", function (e) {
        var rc = cv.getBoundingClientRect();
        var c = clamp(Math.floor((e.clientX - rc.left) / cw), 0, cols - 1), r = clamp(Math.floor((e.clientY - rc.top) / ch), 0, rows - 1);
        var v = vals[r * cols + c];
        if (grid) {
          var two = a.shape.length ? [size(a.shape.slice(0, -1)), a.shape[a.shape.length - 1]] : [1, 1];
          var r0 = Math.floor(r * two[0] / rows), r1 = Math.floor((r + 1) * two[0] / rows) - 1;
          var c0 = Math.floor(c * two[1] / cols), c1 = Math.floor((c + 1) * two[1] / cols) - 1;
          info.textContent = "rows " + r0 + "–" + r1 + ", cols " + c0 + "–" + c1 + ": mean " + fmt(v);
        } else {
          info.textContent = "[" + indexOf(a.shape, r * cols + c).join(", ") + "] = " + fmt(v);
        }
      });
      wrap.appendChild(cv); wrap.appendChild(info);
      return wrap;
    }
    function renderPanel() {
      panel.textContent = "";
      var s = st.sel;
      if (s.t !== undefined) tensorPanel(s.t);
      else if (s.o !== undefined) opPanel(s.o);
      else groupPanel(s.node);
    }
    function tensorPanel(i) {
      var t = T[i], f = st.frame, kinds = { param: "parameter", input: "input", inter: "intermediate", root: "output (root)" };
      panel.appendChild(h("h3", { class: "mlpx-name" }, [t.label + " ", h("span", { class: "mlpx-kind " + t.kind, text: kinds[t.kind] })]));
      var made = t.op !== null ? ["made by ", olink(t.op), " from ", ...inputsOf(t.op)] :
        [t.kind === "param" ? "a leaf that requires grad (a parameter)" : "a leaf without gradient (data)"];
      panel.appendChild(h("div", { class: "mlpx-meta" }, [shapeText(t.shape) + " · " + t.dtype + " · "].concat(made)));
      panel.appendChild(h("h4", { text: "value" }));
      panel.appendChild(arrView(t.value, "mlpx-value"));
      panel.appendChild(h("h4", { text: "gradient ∂" + data.root_label + "/∂" + t.label }));
      if (!t.grad) panel.appendChild(h("div", { class: "mlpx-note", text: "none: nothing that needs a gradient depends on it" }));
      else if (!gradShown(t)) panel.appendChild(h("div", { class: "mlpx-note mlpx-grad-pending" },
        ["not computed yet: backprop reaches it at ", flink(t.step, "step " + t.step), ""]));
      else panel.appendChild(arrView(t.grad, "mlpx-grad"));
      if (t.step !== null) stepSection(t);
      if (t.after) {
        panel.appendChild(h("h4", { text: "SGD update (lr = " + data.lr + ")" }));
        if (F[f].kind !== "sgd") panel.appendChild(h("div", { class: "mlpx-note" }, ["shown in the last frame: ", flink(last, "go there")]));
        else {
          panel.appendChild(h("div", { class: "mlpx-rule", text: t.label + " ← " + t.label + " − " + data.lr + " · ∇" + t.label }));
          panel.appendChild(h("div", { text: "after:" })); panel.appendChild(arrView(t.after, "mlpx-after"));
        }
      }
      if (t.users.length) panel.appendChild(h("div", { class: "mlpx-meta" }, ["used by: "].concat(join(t.users.map(olink)))));
    }
    function join(items) {
      var out = [];
      items.forEach(function (x, k) { if (k) out.push(", "); out.push(x); });
      return out;
    }
    function inputsOf(j) { return join(O[j].inputs.filter(function (x) { return x !== null; }).map(tlink)); }
    function stepSection(t) {
      var fr = F[t.step];
      panel.appendChild(h("h4", {}, ["its backward step: ", flink(t.step, "step " + t.step + " of " + (F[last].kind === "sgd" ? last - 1 : last))]));
      panel.appendChild(h("div", { class: "mlpx-eq", text: fr.caption }));
      fr.uses.forEach(function (u, k) {
        var o = O[u.op], box = h("div", { class: "mlpx-use" });
        box.appendChild(h("div", {}, [(fr.uses.length > 1 ? "use " + (k + 1) + ": " : "") + "via ", olink(u.op), " → ", tlink(u.output),
          u.arg ? " (as " + u.arg + ")" : ""]));
        box.appendChild(h("div", { class: "mlpx-rule", text: u.rule || o.rule }));
        box.appendChild(h("div", { text: "upstream ∂" + data.root_label + "/∂" + T[u.output].label + ":" }));
        box.appendChild(arrView(T[u.output].grad));
        if (u.local) {
          box.appendChild(h("div", { text: "local derivative ∂" + T[u.output].label + "/∂" + t.label +
            (u.whole ? " (whole Jacobian):" : " (elementwise):") }));
          box.appendChild(arrView(u.local, "mlpx-local"));
        } else {
          box.appendChild(h("div", { class: "mlpx-note" }, ["local derivative: the rule above, with the op's other inputs: "].concat(inputsOf(u.op))));
        }
        box.appendChild(h("div", { text: u.local ? (u.whole ? "product (upstream · local):" : "product (upstream ⊙ local" +
          (sameShape(u.local.shape, t.shape) ? "" : ", summed over broadcast axes") + "):") : "result:" }));
        box.appendChild(u.grad ? arrView(u.grad, "mlpx-product") : h("div", { class: "mlpx-note", text: "= the gradient above" }));
        panel.appendChild(box);
      });
      if (!fr.uses.length) panel.appendChild(h("div", { class: "mlpx-note", text: "the seed: backprop starts here" }));
    }
    function sameShape(a, b) { return a.length === b.length && a.every(function (x, k) { return x === b[k]; }); }
    function opPanel(j) {
      var o = O[j];
      panel.appendChild(h("h3", { class: "mlpx-name" }, [(o.symbol ? o.symbol + " " : "") + o.name + " ", h("span", { class: "mlpx-kind op", text: "op" })]));
      panel.appendChild(h("h4", { text: "derivative rule" }));
      panel.appendChild(h("div", { class: "mlpx-rule", text: o.rule }));
      if (o.doc && o.doc !== o.rule) panel.appendChild(h("details", {}, [h("summary", { text: "whole docstring" }), h("div", { class: "mlpx-rule", text: o.doc })]));
      panel.appendChild(h("h4", { text: "inputs → output" }));
      o.inputs.forEach(function (i, p) {
        if (i !== null) panel.appendChild(h("div", {}, [(o.args[p] ? o.args[p] + " = " : "#" + p + ": "), tlink(i), " " + shapeText(T[i].shape)]));
      });
      panel.appendChild(h("div", {}, ["output: ", tlink(o.output)]));
      if (o.params) panel.appendChild(h("div", { class: "mlpx-meta", text: o.params }));
      var steps = [];
      F.forEach(function (fr, f) {
        if (fr.kind === "step" && fr.uses.some(function (u) { return u.op === j; })) steps.push(flink(f, "step " + f + " (" + T[fr.tensor].label + ")"));
      });
      if (steps.length) panel.appendChild(h("div", { class: "mlpx-meta" }, ["gradients sent back: "].concat(join(steps))));
    }
    function groupPanel(id) {
      var own = owners[id] || [];
      panel.appendChild(h("h3", { text: own.length + " nodes in one box" }));
      panel.appendChild(h("div", { class: "mlpx-note", text: "a module folded by draw_graph (collapse= or max_nodes=) or the summary of far nodes" }));
      own.forEach(function (x) { panel.appendChild(h("div", {}, [x.t !== undefined ? tlink(x.t) : olink(x.o)])); });
    }

    // -- the neuron view -----------------------------------------------------------------------
    var ncv = $(".mlpx-ncanvas"), ngeo = null;
    if (NV) {
      $(".mlpx-neurons").hidden = false;
      var sizes = [NV.layers[0].inputs].concat(NV.layers.map(function (L) { return L.units; }));
      $(".mlpx-ntitle").textContent = "neuron view " + sizes.join("→") + ": circles are units (colour: mean over the batch of " +
        "the activation a, then of δ = ∂" + data.root_label + "/∂z once backprop reaches it); lines are weights (blue < 0 < red, " +
        "thicker = larger |w|), then ∇W once computed. Click a layer to find it in the graph.";
    }
    if (!NV && data.neurons_note) {
      $(".mlpx-neurons").hidden = false;
      ncv.hidden = true;
      $(".mlpx-ntitle").textContent = "no neuron view: " + data.neurons_note;
    }
    function layerMode(l) {
      var fr = F[st.frame], w = T[NV.layers[l].weight];
      if (fr.kind === "sgd" && w.after) return "after";
      return w.grad && w.step !== null && w.step <= st.frame ? "grad" : "value";
    }
    function drawNeurons() {
      if (!NV) return;
      var cssW = ncv.clientWidth || 800, maxU = Math.max.apply(null, sizes);
      var gap = clamp(440 / maxU, 7, 26), top = 48, cssH = top + gap * maxU + 28;
      var dpr = window.devicePixelRatio || 1;
      ncv.style.height = cssH + "px"; ncv.width = Math.round(cssW * dpr); ncv.height = Math.round(cssH * dpr);
      var ctx = ncv.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, cssW, cssH);
      var mx = 80, n = sizes.length;
      var colX = function (k) { return n === 1 ? cssW / 2 : mx + k * (cssW - 2 * mx) / (n - 1); };
      var unitY = function (k, j) { return top + (maxU - sizes[k]) * gap / 2 + j * gap + gap / 2; };
      var r = clamp(gap * 0.36, 2.5, 9);
      ngeo = { colX: colX, unitY: unitY, r: r, n: n };
      ctx.font = "12px Helvetica, Arial, sans-serif"; ctx.textAlign = "center";
      NV.layers.forEach(function (L, l) {
        var mode = layerMode(l), w = T[L.weight], arr = mode === "grad" ? w.grad : mode === "after" ? w.after : w.value;
        var vals = arr.data, m = maxAbs(arr) || 1, dim = st.layer !== null && st.layer !== l;
        for (var j = 0; j < L.units; j++) for (var i = 0; i < L.inputs; i++) {
          var v = vals ? vals[j * L.inputs + i] : 0, k = Math.abs(v) / m;
          ctx.strokeStyle = diverge(v === null ? NaN : (v < 0 ? -m : m), m, (0.06 + 0.94 * k) * (dim ? 0.22 : 1));
          ctx.lineWidth = 0.3 + 2.4 * k;
          ctx.beginPath(); ctx.moveTo(colX(l), unitY(l, i)); ctx.lineTo(colX(l + 1), unitY(l + 1, j)); ctx.stroke();
        }
        ctx.fillStyle = st.layer === l ? "#2563eb" : "#475569";
        ctx.font = (st.layer === l ? "bold " : "") + "12px Helvetica, Arial, sans-serif";
        ctx.fillText({ value: "W", grad: "∇W", after: "W after SGD" }[mode] + " (±" + fmt(m) + ")", (colX(l) + colX(l + 1)) / 2, cssH - 8);
      });
      for (var k = 0; k < n; k++) {
        var L = k ? NV.layers[k - 1] : null, vals = null, what = "x";
        if (!k) vals = NV.x_mean;
        else if (L.delta_mean && L.delta_step !== null && L.delta_step <= st.frame && F[st.frame].kind === "step") { vals = L.delta_mean; what = "δ"; }
        else { vals = L.a_mean; what = "a"; }
        var m2 = 0;
        (vals || []).forEach(function (v) { if (v !== null) m2 = Math.max(m2, Math.abs(v)); });
        for (var j = 0; j < sizes[k]; j++) {
          ctx.beginPath(); ctx.arc(colX(k), unitY(k, j), r, 0, 2 * Math.PI);
          ctx.fillStyle = vals ? diverge(vals[j], m2 || 1) : "#fff"; ctx.fill();
          ctx.lineWidth = st.layer !== null && st.layer === k - 1 ? 2.2 : 1;
          ctx.strokeStyle = st.layer !== null && st.layer === k - 1 ? "#2563eb" : "#334155"; ctx.stroke();
        }
        ctx.fillStyle = st.layer !== null && st.layer === k - 1 ? "#2563eb" : "#0f172a";
        ctx.font = (st.layer !== null && st.layer === k - 1 ? "bold " : "") + "12px Helvetica, Arial, sans-serif";
        ctx.fillText(k ? L.name + " · " + L.act : "input", colX(k), 16);
        ctx.fillStyle = "#64748b"; ctx.font = "11px Helvetica, Arial, sans-serif";
        ctx.fillText(sizes[k] + " units · " + what, colX(k), 31);
      }
    }
    function neuronAt(e) {
      if (!ngeo) return null;
      var rc = ncv.getBoundingClientRect(), x = e.clientX - rc.left, y = e.clientY - rc.top;
      for (var k = 0; k < ngeo.n; k++) for (var j = 0; j < sizes[k]; j++) {
        var dx = x - ngeo.colX(k), dy = y - ngeo.unitY(k, j);
        if (dx * dx + dy * dy <= (ngeo.r + 2) * (ngeo.r + 2)) return { k: k, j: j };
      }
      for (var l = 0; l < ngeo.n - 1; l++) if (x > ngeo.colX(l) + ngeo.r && x < ngeo.colX(l + 1) - ngeo.r) return { k: l + 1, j: null };
      var near = 0;
      for (var c = 1; c < ngeo.n; c++) if (Math.abs(x - ngeo.colX(c)) < Math.abs(x - ngeo.colX(near))) near = c;
      return { k: near, j: null };
    }
    ncv.addEventListener("click", function (e) {
      var hit = neuronAt(e);
      if (!hit) return;
      if (hit.k === 0) { st.layer = null; render(false); return; }
      st.layer = hit.k - 1;
      selectTensor(NV.layers[st.layer].weight);
    });
    ncv.addEventListener("mousemove", function (e) {
      var hit = neuronAt(e);
      if (!hit || hit.j === null) { tip.hidden = true; return; }
      if (hit.k === 0) { showTip(e, "input " + hit.j + ": mean over the batch " + fmt(NV.x_mean ? NV.x_mean[hit.j] : NaN)); return; }
      var L = NV.layers[hit.k - 1], d = L.delta_step !== null && L.delta_step <= st.frame && F[st.frame].kind === "step";
      showTip(e, L.name + " unit " + hit.j + " (" + L.act + ")\nmean a = " + fmt(L.a_mean[hit.j]) +
        "\nmean δ = ∂" + data.root_label + "/∂z = " + (d ? fmt(L.delta_mean[hit.j]) : "— (not yet)"));
    });
    ncv.addEventListener("mouseleave", function () { tip.hidden = true; });

    // -- controls and keys ---------------------------------------------------------------------
    $(".mlpx-first").addEventListener("click", function () { go(0); });
    $(".mlpx-prev").addEventListener("click", function () { go(st.frame - 1); });
    $(".mlpx-next").addEventListener("click", function () { go(st.frame + 1); });
    $(".mlpx-last").addEventListener("click", function () { go(last); });
    $(".mlpx-play").addEventListener("click", function () { play(!st.timer); });
    $(".mlpx-slider").addEventListener("input", function (e) { go(+e.target.value); });
    $(".mlpx-zin").addEventListener("click", function () { zoomBy(1.25); });
    $(".mlpx-zout").addEventListener("click", function () { zoomBy(0.8); });
    $(".mlpx-fit").addEventListener("click", fit);
    $(".mlpx-z100").addEventListener("click", actualSize);
    $(".mlpx-collapse").addEventListener("click", function () { foldAll(true); });
    $(".mlpx-expand").addEventListener("click", function () { foldAll(false); });
    function onKey(e) {
      var tag = e.target && e.target.tagName;
      if (e.altKey || e.ctrlKey || e.metaKey || tag === "TEXTAREA") return;
      if (tag === "INPUT" && e.target.type === "range" && /^(Arrow|Home|End|Page)/.test(e.key)) return;   // the slider steps itself
      var k = e.key;
      if (k === "ArrowRight") go(st.frame + 1);
      else if (k === "ArrowLeft") go(st.frame - 1);
      else if (k === "Home") go(0);
      else if (k === "End") go(last);
      else if (k === " " && tag !== "BUTTON" && tag !== "INPUT") play(!st.timer);
      else if (k === "+" || k === "=") zoomBy(1.25);
      else if (k === "-") zoomBy(0.8);
      else if (k === "0") actualSize();
      else if (k === "f") fit();
      else return;
      e.preventDefault();
    }
    (standalone ? document : root).addEventListener("keydown", onKey);
    window.addEventListener("resize", function () { apply(); drawNeurons(); });

    // -- start: the whole graph if its text stays readable, else natural size at the output ----
    refreshFolds();
    var v0 = vsize(), fitScale = Math.min(v0.w / W, v0.h / H) * 0.98;
    if (fitScale >= 0.6 * PT) fit();
    else {
      st.s = PT;
      var rb = T[data.root].node && nodeBox[T[data.root].node] ? outer(nodeBox[T[data.root].node]) : { x: W - 10, y: H / 2, w: 0, h: 0 };
      var v = vsize();
      st.x0 = Math.min(W, rb.x + rb.w + 40) - v.w / st.s; st.y0 = rb.y + rb.h / 2 - v.h / 2 / st.s;
      apply();
    }
    go(0);
    if (standalone) root.focus({ preventScroll: true });
    root.mlpx = { go: go, state: st, zoomBy: zoomBy, fit: fit, actualSize: actualSize, foldAll: foldAll };
  };
})();
