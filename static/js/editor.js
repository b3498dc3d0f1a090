/* WorkflowOS graph editor: Drawflow for the canvas, dagre for auto-layout.
 *
 * The server is the source of truth. Drawflow's state is UI state only; on save it is normalised
 * into a workflowos.workflow/v1 document and PUT to the API with the version it was based on.
 *
 * Security: every text shown here (labels, ids, config values, server messages) comes from users
 * or imported files. It only ever reaches the page through textContent, value or setAttribute —
 * never innerHTML. Drawflow gets a fixed HTML skeleton with no user text in it.
 */
(function () {
  "use strict";

  var root = document.getElementById("editor");
  var bootEl = document.getElementById("wfos-bootstrap");
  if (!root || !bootEl || typeof Drawflow === "undefined") return;

  var boot = JSON.parse(bootEl.textContent);
  var SVG_NS = "http://www.w3.org/2000/svg";
  var NODE_W = 200; // keep in step with .wfe-canvas .drawflow-node in editor.css
  var NODE_H = 58;
  var SKELETON = '<div class="wf-card-label"></div><div class="wf-card-type"></div>';
  var KINDS = {
    data: "Data — the request flows along this connection.",
    fallback: "Fallback — taken when the source step fails.",
    escalation: "Escalation — hands the case to a person or a stronger control.",
  };
  var CATEGORY_NAMES = { input: "Input", processing: "Processing", control: "Control", sink: "Sink" };
  var DAGRE_LIMIT = 400; // above this, dagre takes seconds in the browser; use the quick layered layout
  var ZOOM_MIN = 0.2;
  var ZOOM_MAX = 2;

  var types = new Map();
  boot.node_types.forEach(function (t) { types.set(t.type, t); });
  // Fields every type accepts (owner, vendor, notes, data categories) are grouped apart in the panel.
  var commonFields = new Set(boot.node_types.length ? boot.node_types[0].fields.map(function (f) { return f.name; }) : []);
  boot.node_types.forEach(function (t) {
    var names = new Set(t.fields.map(function (f) { return f.name; }));
    commonFields.forEach(function (n) { if (!names.has(n)) commonFields.delete(n); });
  });

  var doc = boot.document || {};
  var state = {
    head: boot.workflow.head_version,
    nodes: new Map(), // Drawflow id (string) -> {id, type, label, config}
    edges: new WeakMap(), // connection <svg> -> {id, kind, label, order}
    edgeIds: new Set(),
    edgeCounter: 0,
    edgeOrder: 0,
    selected: null, // {kind: "node", df} | {kind: "edge", svg}
    dirty: false,
    saving: false,
  };

  // --- elements -------------------------------------------------------------------------------
  var canvas = root.querySelector("#wfe-canvas");
  var panel = root.querySelector("#wfe-panel-form");
  var statusEl = root.querySelector("[data-testid=editor-status]");
  var dirtyEl = root.querySelector("[data-testid=dirty-indicator]");
  var countsEl = root.querySelector("[data-testid=graph-counts]");
  var zoomEl = root.querySelector("[data-testid=zoom-level]");
  var emptyEl = root.querySelector(".wfe-empty");
  var saveBtn = root.querySelector("[data-action=save]");
  var deleteBtn = root.querySelector("[data-action=delete]");

  // --- small DOM helpers (text only ever through textContent) ----------------------------------
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") e.textContent = v;
        else if (k === "className") e.className = v;
        else if (k === "hidden") e.hidden = true;
        else e.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }

  function csrfToken() {
    try {
      var h = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (h["X-CSRFToken"]) return h["X-CSRFToken"];
    } catch (err) { /* fall back to the cookie */ }
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  // --- Drawflow --------------------------------------------------------------------------------
  var editor = new Drawflow(canvas);
  editor.reroute = false;
  editor.force_first_input = true; // dropping a connection anywhere on a step connects to its input
  editor.curvature = 0.45;
  editor.zoom_min = ZOOM_MIN;
  editor.zoom_max = ZOOM_MAX;
  // Replace Drawflow's key and wheel handlers (bound in start()): deletion goes through our
  // bookkeeping, and the wheel pans (Ctrl/⌘ + wheel zooms around the pointer).
  editor.key = function () {};
  editor.zoom_enter = onWheel;
  // Connections leave to the right and enter from the left. One that runs backwards (a fallback
  // or escalation back to an earlier step) arcs below the steps instead of cutting through them.
  editor.createCurvature = function (sx, sy, ex, ey) {
    var dx = ex - sx;
    if (dx >= 24) {
      var h = Math.max(30, dx * 0.5);
      return " M " + sx + " " + sy + " C " + (sx + h) + " " + sy + " " + (ex - h) + " " + ey + " " + ex + " " + ey;
    }
    var reach = Math.min(90, 45 + Math.abs(dx) * 0.05);
    var dip = 60 + Math.abs(ey - sy) * 0.2;
    var low = Math.max(sy, ey) + dip;
    return " M " + sx + " " + sy + " C " + (sx + reach) + " " + sy + " " + (sx + reach) + " " + low + " " + (sx + ex) / 2 + " " + low +
      " S " + (ex - reach) + " " + ey + " " + ex + " " + ey;
  };
  editor.start();
  editor.zoom_in = function () { zoomTo(editor.zoom * 1.1); }; // pinch zoom on touch screens
  editor.zoom_out = function () { zoomTo(editor.zoom / 1.1); };
  var precanvas = editor.precanvas;

  function dfData(df) { return editor.drawflow.drawflow.Home.data[df]; }
  function nodeEl(df) { return document.getElementById("node-" + df); }
  function svgOut(svg) { return svg.classList[2].slice(14); } // "node_out_node-<df>"
  function svgIn(svg) { return svg.classList[1].slice(13); } // "node_in_node-<df>"
  function allSvgs() { return precanvas.querySelectorAll("svg.connection[class*=node_in_]"); } // not one being drawn

  function fillCard(df) {
    var n = state.nodes.get(df);
    var e = nodeEl(df);
    if (!n || !e) return;
    var t = types.get(n.type);
    e.setAttribute("data-node-id", n.id);
    e.setAttribute("title", n.label + " — " + (t ? t.label : n.type));
    e.querySelector(".wf-card-label").textContent = n.label || n.id;
    e.querySelector(".wf-card-type").textContent = t ? t.label : n.type;
  }

  function nodeClass(type) {
    var t = types.get(type);
    return "wf-node cat-" + (t ? t.category : "unknown");
  }

  function applyEdge(svg, edge) {
    svg.classList.remove("kind-data", "kind-fallback", "kind-escalation");
    svg.classList.add("kind-" + edge.kind); // appended: Drawflow reads classList[0..4] by position
    svg.setAttribute("data-edge-id", edge.id);
    var title = svg.querySelector("title");
    if (edge.label) {
      if (!title) { title = document.createElementNS(SVG_NS, "title"); svg.firstChild.appendChild(title); }
      title.textContent = edge.kind + ": " + edge.label;
    } else if (title) {
      title.remove();
    }
  }

  function takeEdgeId(wanted) {
    if (wanted && !state.edgeIds.has(wanted)) { state.edgeIds.add(wanted); return wanted; }
    var id;
    do { state.edgeCounter += 1; id = "e" + state.edgeCounter; } while (state.edgeIds.has(id));
    state.edgeIds.add(id);
    return id;
  }

  // Where a card's handles sit relative to its top-left corner. Cards have a fixed size, so one
  // probe card laid out on its own gives the offsets for all of them.
  var PORTS = null;
  function measurePorts() {
    var probe = document.createElement("div");
    probe.className = "parent-node";
    probe.style.visibility = "hidden";
    // No style attribute in the markup: the Content-Security-Policy refuses it; .style is allowed.
    probe.innerHTML = '<div class="drawflow-node wf-node cat-processing"><div class="inputs"><div class="input input_1"></div></div>' +
      '<div class="drawflow_content_node">' + SKELETON + '</div><div class="outputs"><div class="output output_1"></div></div></div>';
    probe.firstChild.style.left = "0";
    probe.firstChild.style.top = "0";
    precanvas.appendChild(probe);
    var z = editor.zoom;
    var nr = probe.firstChild.getBoundingClientRect();
    var centre = function (sel) {
      var r = probe.querySelector(sel).getBoundingClientRect();
      return [(r.left + r.width / 2 - nr.left) / z, (r.top + r.height / 2 - nr.top) / z];
    };
    PORTS = { input_1: centre(".input"), output_1: centre(".output") };
    probe.remove();
  }

  // Recompute every connection path from the steps' positions: no layout is read per connection,
  // which is what keeps 1,500 edges cheap (Drawflow's own redraw forces a layout per connection).
  function redrawAll() {
    var data = editor.drawflow.drawflow.Home.data;
    var svgs = allSvgs();
    for (var i = 0; i < svgs.length; i++) {
      var s = svgs[i];
      var a = data[svgOut(s)];
      var b = data[svgIn(s)];
      var pa = PORTS[s.classList[3]];
      var pb = PORTS[s.classList[4]];
      if (!a || !b || !pa || !pb) continue;
      s.firstChild.setAttribute("d", editor.createCurvature(a.pos_x + pa[0], a.pos_y + pa[1], b.pos_x + pb[0], b.pos_y + pb[1], editor.curvature, "openclose"));
    }
  }

  function importDocument(d) {
    var nodes = Array.isArray(d.nodes) ? d.nodes : [];
    var edges = Array.isArray(d.edges) ? d.edges : [];
    var positions = null;
    if (nodes.some(function (n) { return !n.position; })) positions = layoutPositions(nodes, edges);
    var data = {};
    var dfById = new Map();
    nodes.forEach(function (n, i) {
      var df = String(i + 1);
      dfById.set(n.id, df);
      var pos = n.position || positions.get(n.id) || { x: 40, y: 40 };
      state.nodes.set(df, { id: n.id, type: n.type, label: n.label, config: Object.assign({}, n.config || {}) });
      data[df] = {
        id: i + 1, name: n.type, data: {}, class: nodeClass(n.type), html: SKELETON, typenode: false,
        inputs: { input_1: { connections: [] } }, outputs: { output_1: { connections: [] } },
        pos_x: pos.x, pos_y: pos.y,
      };
    });
    // Drawflow creates one <svg> per entry of a target's input list, in list order; remember the
    // edges per (source, target) in the same order to pair each <svg> with its edge afterwards.
    var pending = new Map();
    edges.forEach(function (e) {
      var a = dfById.get(e.from);
      var b = dfById.get(e.to);
      if (!a || !b || a === b) return;
      data[a].outputs.output_1.connections.push({ node: b, output: "input_1" });
      data[b].inputs.input_1.connections.push({ node: a, input: "output_1" });
      var key = a + ">" + b;
      if (!pending.has(key)) pending.set(key, []);
      pending.get(key).push({ id: e.id || null, kind: e.kind || "data", label: e.label || "", order: state.edgeOrder++ });
    });
    edges.forEach(function (e) {
      var m = /^e(\d+)$/.exec(e.id || "");
      if (m) state.edgeCounter = Math.max(state.edgeCounter, parseInt(m[1], 10));
    });
    // Drawflow redraws each node's connections one by one during import (forcing a layout per
    // connection); skip that and draw them all at once below.
    measurePorts();
    var update = editor.updateConnectionNodes;
    editor.updateConnectionNodes = function () {};
    try {
      editor.import({ drawflow: { Home: { data: data } } });
    } finally {
      editor.updateConnectionNodes = update;
    }
    state.nodes.forEach(function (n, df) { fillCard(df); });
    var svgs = allSvgs();
    for (var i = 0; i < svgs.length; i++) {
      var list = pending.get(svgOut(svgs[i]) + ">" + svgIn(svgs[i]));
      var edge = list && list.shift();
      if (!edge) continue;
      edge.id = takeEdgeId(edge.id);
      state.edges.set(svgs[i], edge);
      applyEdge(svgs[i], edge);
    }
    redrawAll();
  }

  // --- layout ----------------------------------------------------------------------------------
  function layoutPositions(nodes, edges) {
    var ids = nodes.map(function (n) { return n.id; });
    var pairs = edges.map(function (e) { return [e.from, e.to, e.kind || "data"]; });
    return ids.length <= DAGRE_LIMIT && typeof dagre !== "undefined" ? dagreLayout(ids, pairs) : quickLayout(ids, pairs);
  }

  function dagreLayout(ids, pairs) {
    var g = new dagre.graphlib.Graph();
    // network-simplex ranks best but grows fast; longest-path keeps mid-size graphs quick
    g.setGraph({ rankdir: "LR", nodesep: 28, ranksep: 70, edgesep: 12, marginx: 40, marginy: 40, ranker: ids.length > 150 ? "longest-path" : "network-simplex" });
    g.setDefaultEdgeLabel(function () { return {}; });
    ids.forEach(function (id) { g.setNode(id, { width: NODE_W, height: NODE_H }); });
    pairs.forEach(function (p) { if (p[0] !== p[1] && g.hasNode(p[0]) && g.hasNode(p[1])) g.setEdge(p[0], p[1]); });
    dagre.layout(g);
    var out = new Map();
    ids.forEach(function (id) {
      var n = g.node(id);
      out.set(id, { x: Math.round(n.x - NODE_W / 2), y: Math.round(n.y - NODE_H / 2) });
    });
    return out;
  }

  // Layered layout for large graphs: longest-path layers over data edges, two barycentre sweeps.
  function quickLayout(ids, pairs) {
    var index = new Map();
    ids.forEach(function (id, i) { index.set(id, i); });
    var preds = ids.map(function () { return []; });
    var succs = ids.map(function () { return []; });
    var indeg = ids.map(function () { return 0; });
    pairs.forEach(function (p) {
      var a = index.get(p[0]);
      var b = index.get(p[1]);
      if (a === undefined || b === undefined || a === b || p[2] !== "data") return;
      succs[a].push(b); preds[b].push(a); indeg[b] += 1;
    });
    var layer = ids.map(function () { return 0; });
    var queue = [];
    indeg.forEach(function (d, i) { if (d === 0) queue.push(i); });
    var seen = 0;
    for (var q = 0; q < queue.length; q++) {
      var v = queue[q];
      seen += 1;
      succs[v].forEach(function (w) {
        layer[w] = Math.max(layer[w], layer[v] + 1);
        if (--indeg[w] === 0) queue.push(w);
      });
    }
    if (seen < ids.length) { // nodes on a data cycle: place them after the rest
      var maxLayer = Math.max.apply(null, layer.concat([0]));
      indeg.forEach(function (d, i) { if (d > 0) layer[i] = maxLayer + 1; });
    }
    var cols = [];
    layer.forEach(function (l, i) { (cols[l] = cols[l] || []).push(i); });
    cols = cols.filter(Boolean);
    var rank = new Array(ids.length);
    function renumber(col) { col.forEach(function (v, r) { rank[v] = r; }); }
    cols.forEach(renumber);
    function sweep(list, neighbours) {
      list.forEach(function (col) {
        var bary = new Map();
        col.forEach(function (v) {
          var ns = neighbours[v];
          bary.set(v, ns.length ? ns.reduce(function (s, w) { return s + rank[w]; }, 0) / ns.length : rank[v]);
        });
        col.sort(function (a, b) { return bary.get(a) - bary.get(b); });
        renumber(col);
      });
    }
    for (var pass = 0; pass < 2; pass++) { sweep(cols.slice(1), preds); sweep(cols.slice(0, -1).reverse(), succs); }
    var tallest = Math.max.apply(null, cols.map(function (c) { return c.length; }).concat([0]));
    var out = new Map();
    cols.forEach(function (col, x) {
      var offset = Math.floor((tallest - col.length) / 2);
      col.forEach(function (v, y) { out.set(ids[v], { x: 40 + x * (NODE_W + 80), y: 40 + (y + offset) * (NODE_H + 36) }); });
    });
    return out;
  }

  function autoLayout() {
    var ids = [];
    var dfOf = new Map();
    state.nodes.forEach(function (n, df) { ids.push(n.id); dfOf.set(n.id, df); });
    if (!ids.length) return;
    var pairs = currentEdges().map(function (e) { return [e.from, e.to, e.kind]; });
    var pos = ids.length <= DAGRE_LIMIT ? dagreLayout(ids, pairs) : quickLayout(ids, pairs);
    pos.forEach(function (p, id) {
      var df = dfOf.get(id);
      var e = nodeEl(df);
      var d = dfData(df);
      d.pos_x = p.x; d.pos_y = p.y;
      e.style.left = p.x + "px"; e.style.top = p.y + "px";
    });
    redrawAll();
    fitView(false);
    markDirty();
    say("Steps arranged left to right. Save to keep the new layout.", "info");
  }

  // --- view: zoom, pan, fit --------------------------------------------------------------------
  function applyView() {
    editor.zoom_last_value = editor.zoom;
    precanvas.style.transform = "translate(" + editor.canvas_x + "px, " + editor.canvas_y + "px) scale(" + editor.zoom + ")";
    var grid = 22 * editor.zoom;
    canvas.style.backgroundSize = grid + "px " + grid + "px";
    canvas.style.backgroundPosition = editor.canvas_x + "px " + editor.canvas_y + "px";
    zoomEl.textContent = Math.round(editor.zoom * 100) + "%";
  }

  function zoomTo(z, ax, ay) {
    z = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, Math.round(z * 100) / 100));
    if (ax === undefined) { ax = canvas.clientWidth / 2; ay = canvas.clientHeight / 2; }
    var lx = (ax - editor.canvas_x) / editor.zoom;
    var ly = (ay - editor.canvas_y) / editor.zoom;
    editor.zoom = z;
    editor.canvas_x = ax - lx * z;
    editor.canvas_y = ay - ly * z;
    applyView();
  }

  function onWheel(e) {
    e.preventDefault();
    var unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? canvas.clientHeight : 1; // lines, pages
    var dx = e.deltaX * unit;
    var dy = e.deltaY * unit;
    if (e.ctrlKey || e.metaKey) {
      var r = canvas.getBoundingClientRect();
      zoomTo(editor.zoom * Math.exp(-dy * 0.002), e.clientX - r.left, e.clientY - r.top);
    } else {
      editor.canvas_x -= e.shiftKey ? dy : dx;
      editor.canvas_y -= e.shiftKey ? 0 : dy;
      applyView();
    }
  }

  function bounds(dfs) {
    var b = null;
    dfs.forEach(function (df) {
      var d = dfData(df);
      if (!d) return;
      var w = NODE_W;
      var h = NODE_H;
      if (!b) b = { x0: d.pos_x, y0: d.pos_y, x1: d.pos_x + w, y1: d.pos_y + h };
      else {
        b.x0 = Math.min(b.x0, d.pos_x); b.y0 = Math.min(b.y0, d.pos_y);
        b.x1 = Math.max(b.x1, d.pos_x + w); b.y1 = Math.max(b.y1, d.pos_y + h);
      }
    });
    return b;
  }

  // Fit the graph in view. On opening, a graph too big to read when fitted starts at a readable
  // zoom at its top-left corner instead (painting 1,000 tiny cards is slow and says little).
  function fitView(opening) {
    var b = bounds(Array.from(state.nodes.keys()));
    if (!b) { editor.zoom = 1; editor.canvas_x = 0; editor.canvas_y = 0; applyView(); return; }
    var pad = 48;
    // On opening, use the size read before the graph was added: reading it now would force a
    // synchronous layout of every card (the browser lays them out once, when it paints).
    var cw = opening === true ? viewSize.w : canvas.clientWidth;
    var ch = opening === true ? viewSize.h : canvas.clientHeight;
    var z = Math.min(1, (cw - 2 * pad) / (b.x1 - b.x0), (ch - 2 * pad) / (b.y1 - b.y0));
    if (opening === true && z < 0.5) {
      editor.zoom = state.nodes.size > 150 ? 0.8 : 0.6;
      editor.canvas_x = pad - b.x0 * editor.zoom;
      editor.canvas_y = pad - b.y0 * editor.zoom;
    } else {
      editor.zoom = Math.max(ZOOM_MIN, Math.round(z * 100) / 100);
      editor.canvas_x = (cw - (b.x1 - b.x0) * editor.zoom) / 2 - b.x0 * editor.zoom;
      editor.canvas_y = Math.max(pad / 2, (ch - (b.y1 - b.y0) * editor.zoom) / 2) - b.y0 * editor.zoom;
    }
    applyView();
  }

  function dfOfNodeId(id) {
    var found = null;
    state.nodes.forEach(function (n, df) { if (n.id === id) found = df; });
    return found;
  }

  function centreOnNow(df) {
    viewSize = { w: canvas.clientWidth, h: canvas.clientHeight };
    centreOn(df);
  }

  function centreOn(df) {
    var d = dfData(df);
    if (!d) return;
    editor.canvas_x = viewSize.w / 2 - (d.pos_x + NODE_W / 2) * editor.zoom;
    editor.canvas_y = viewSize.h / 2 - (d.pos_y + NODE_H / 2) * editor.zoom;
    applyView();
  }

  // --- selection -------------------------------------------------------------------------------
  function clearDrawflowSelection() {
    if (editor.node_selected) { editor.node_selected.classList.remove("selected"); editor.node_selected = null; }
    if (editor.connection_selected) { editor.connection_selected.classList.remove("selected"); editor.connection_selected = null; }
  }

  function selectNode(df, focusLabel) {
    var e = nodeEl(df);
    if (!e) return;
    clearDrawflowSelection();
    editor.node_selected = e;
    e.classList.add("selected");
    state.selected = { kind: "node", df: df };
    renderPanel();
    if (focusLabel) {
      var input = panel.querySelector("#wfe-label");
      if (input) { input.focus(); input.select(); }
    }
  }

  function selectEdge(svg) {
    if (!svg || !svg.isConnected) return;
    clearDrawflowSelection();
    editor.connection_selected = svg.firstChild;
    svg.firstChild.classList.add("selected");
    state.selected = { kind: "edge", svg: svg };
    renderPanel();
  }

  function clearSelection() {
    clearDrawflowSelection();
    state.selected = null;
    renderPanel();
  }

  function deleteSelection() {
    var sel = state.selected;
    if (!sel) return;
    if (sel.kind === "node") {
      var n = state.nodes.get(sel.df);
      editor.removeNodeId("node-" + sel.df); // our bookkeeping follows the nodeRemoved event
      say("Deleted step “" + (n ? n.label : "") + "”. Save to keep the change.", "info");
    } else if (sel.svg.isConnected) {
      editor.connection_selected = sel.svg.firstChild;
      editor.removeConnection();
      say("Deleted the connection. Save to keep the change.", "info");
    }
    editor.node_selected = null;
    editor.connection_selected = null;
    state.selected = null;
    renderPanel();
  }

  // Also reached through Drawflow's own right-click "×" button.
  editor.on("nodeRemoved", function (df) {
    state.nodes.delete(String(df));
    if (state.selected && state.selected.kind === "node" && state.selected.df === String(df)) { state.selected = null; renderPanel(); }
    markDirty();
    refreshCounts();
  });
  editor.on("connectionRemoved", function () {
    if (state.selected && state.selected.kind === "edge" && !state.selected.svg.isConnected) { state.selected = null; renderPanel(); }
    markDirty();
    refreshCounts();
  });

  editor.on("nodeSelected", function (df) { state.selected = { kind: "node", df: String(df) }; renderPanel(); });
  editor.on("connectionSelected", function () {
    if (editor.connection_selected) { state.selected = { kind: "edge", svg: editor.connection_selected.parentElement }; renderPanel(); }
  });
  editor.on("nodeUnselected", function () { if (state.selected && state.selected.kind === "node") { state.selected = null; renderPanel(); } });
  editor.on("connectionUnselected", function () { if (state.selected && state.selected.kind === "edge") { state.selected = null; renderPanel(); } });
  editor.on("nodeMoved", function () { markDirty(); });
  editor.on("translate", function (p) {
    canvas.style.backgroundPosition = p.x + "px " + p.y + "px";
  });
  editor.on("connectionCreated", function (c) {
    var svg = editor.connection_ele;
    if (!svg || state.edges.has(svg)) {
      var matches = precanvas.querySelectorAll(".connection.node_in_node-" + c.input_id + ".node_out_node-" + c.output_id);
      svg = null;
      for (var i = matches.length - 1; i >= 0; i--) if (!state.edges.has(matches[i])) { svg = matches[i]; break; }
    }
    if (!svg) return;
    var edge = { id: takeEdgeId(null), kind: pendingKind || "data", label: "", order: state.edgeOrder++ };
    state.edges.set(svg, edge);
    applyEdge(svg, edge);
    markDirty();
    refreshCounts();
    selectEdge(svg);
    var a = state.nodes.get(String(c.output_id));
    var b = state.nodes.get(String(c.input_id));
    say("Connected “" + (a ? a.label : "?") + "” → “" + (b ? b.label : "?") + "”. Choose its kind in the side panel.", "info");
  });
  var pendingKind = null;

  // --- adding steps ----------------------------------------------------------------------------
  function freeNodeId(type) {
    var taken = new Set();
    state.nodes.forEach(function (n) { taken.add(n.id); });
    var base = type.replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 50) || "step";
    if (!taken.has(base)) return base;
    for (var i = 2; ; i++) if (!taken.has(base + "_" + i)) return base + "_" + i;
  }

  function freeLabel(base) {
    var taken = new Set();
    state.nodes.forEach(function (n) { taken.add(n.label); });
    if (!taken.has(base)) return base;
    for (var i = 2; ; i++) if (!taken.has(base + " " + i)) return base + " " + i;
  }

  function addStep(type, x, y) {
    var t = types.get(type);
    if (!t) return null;
    if (x === undefined) {
      // centre of the visible canvas, nudged so repeated clicks do not stack steps exactly
      x = (canvas.clientWidth / 2 - editor.canvas_x) / editor.zoom - NODE_W / 2;
      y = (canvas.clientHeight / 2 - editor.canvas_y) / editor.zoom - NODE_H / 2;
      var occupied = function (px, py) {
        var hit = false;
        state.nodes.forEach(function (n, df) {
          var d = dfData(df);
          if (Math.abs(d.pos_x - px) < 24 && Math.abs(d.pos_y - py) < 24) hit = true;
        });
        return hit;
      };
      for (var k = 0; k < 40 && occupied(x, y); k++) { x += 32; y += 32; }
    }
    x = Math.round(x); y = Math.round(y);
    var df = String(editor.addNode(type, 1, 1, x, y, nodeClass(type), {}, SKELETON));
    state.nodes.set(df, { id: freeNodeId(type), type: type, label: freeLabel(t.label), config: {} });
    fillCard(df);
    markDirty();
    refreshCounts();
    selectNode(df, true);
    say("Added “" + t.label + "”. Name it and configure it in the side panel.", "info");
    return df;
  }

  root.querySelectorAll(".wfe-palette-item").forEach(function (b) {
    b.addEventListener("click", function () { addStep(b.getAttribute("data-type")); });
    b.addEventListener("dragstart", function (e) {
      e.dataTransfer.setData("application/x-wfos-type", b.getAttribute("data-type"));
      e.dataTransfer.effectAllowed = "copy";
    });
  });
  canvas.addEventListener("dragover", function (e) {
    if (Array.prototype.indexOf.call(e.dataTransfer.types, "application/x-wfos-type") >= 0) { e.preventDefault(); e.dataTransfer.dropEffect = "copy"; }
  });
  canvas.addEventListener("drop", function (e) {
    var type = e.dataTransfer.getData("application/x-wfos-type");
    if (!type) return;
    e.preventDefault();
    var r = precanvas.getBoundingClientRect();
    addStep(type, (e.clientX - r.left) / editor.zoom - NODE_W / 2, (e.clientY - r.top) / editor.zoom - NODE_H / 2);
  });

  var filter = root.querySelector("#wfe-palette-filter");
  filter.addEventListener("input", function () {
    var q = filter.value.trim().toLowerCase();
    root.querySelectorAll(".wfe-palette-group").forEach(function (g) {
      var any = false;
      g.querySelectorAll("li").forEach(function (li) {
        var b = li.querySelector("button");
        var t = types.get(b.getAttribute("data-type"));
        var hay = (t.label + " " + t.type + " " + t.domains.join(" ")).toLowerCase();
        li.hidden = q !== "" && hay.indexOf(q) < 0;
        any = any || !li.hidden;
      });
      g.hidden = !any;
    });
  });

  // --- side panel ------------------------------------------------------------------------------
  function nodeLabelOf(df) {
    var n = state.nodes.get(df);
    return n ? n.label || n.id : "?";
  }

  function renderPanel() {
    panel.textContent = "";
    var sel = state.selected;
    if (sel && sel.kind === "node" && state.nodes.has(sel.df)) renderNodePanel(sel.df);
    else if (sel && sel.kind === "edge" && sel.svg.isConnected && state.edges.has(sel.svg)) renderEdgePanel(sel.svg);
    else renderWorkflowPanel();
    deleteBtn.disabled = !state.selected || root.getAttribute("data-ready") !== "true";
  }

  function yesNo(v) { return v ? "Yes" : "No"; }

  function renderWorkflowPanel() {
    var facts = doc.facts || {};
    panel.appendChild(el("h2", { id: "wfe-panel-title", text: "Workflow" }));
    panel.appendChild(el("p", { className: "wfe-panel-sub", text: doc.name || boot.workflow.name }));
    if (doc.description) panel.appendChild(el("p", { className: "wfe-desc", title: doc.description, text: doc.description }));
    var dl = el("dl", { className: "wfe-facts" });
    [["Personal data", yesNo(facts.personal_data)], ["Decision stakes", facts.stakes || "low"], ["Audience", facts.audience || "internal"], ["Regulated", yesNo(facts.regulated)]].forEach(function (row) {
      dl.appendChild(el("dt", { text: row[0] }));
      dl.appendChild(el("dd", { text: row[1] }));
    });
    panel.appendChild(dl);
    var link = el("a", { href: "/studio/" + boot.workflow.id + "/steps/", text: "Edit the facts in the form view" });
    panel.appendChild(el("p", { className: "wfe-small" }, [link]));
    if (boot.highlight && boot.highlight.length) {
      panel.appendChild(el("p", { className: "wfe-note", text: boot.highlight.length + " highlighted step" + (boot.highlight.length === 1 ? "" : "s") + " (outlined in amber)." }));
    }
    panel.appendChild(el("h3", { text: "How to" }));
    panel.appendChild(el("ul", { className: "wfe-tips" }, [
      el("li", { text: "Click a step type on the left to add it, or drag it onto the canvas." }),
      el("li", { text: "Drag from a step’s right handle onto another step to connect them." }),
      el("li", { text: "Select a step to name and configure it; select a connection to set its kind." }),
      el("li", { text: "Save (Ctrl+S) stores a new version. Nothing is saved automatically." }),
    ]));
  }

  function fieldRow(f, value, onValue) {
    var id = "wfe-cfg-" + f.name;
    var wrap = el("div", { className: "wfe-field", "data-field": f.name });
    var label = el("label", { for: id, text: f.label });
    wrap.appendChild(label);
    var input;
    var help = f.help ? el("small", { id: id + "-help", className: "wfe-help", text: f.help }) : null;
    var err = el("small", { id: id + "-error", className: "wfe-error", hidden: true });
    var describedBy = (help ? id + "-help " : "") + id + "-error";
    if (f.type === "boolean") {
      input = el("select", { id: id, name: f.name, "aria-describedby": describedBy }, [
        el("option", { value: "", text: "Not set" }), el("option", { value: "true", text: "Yes" }), el("option", { value: "false", text: "No" }),
      ]);
      input.value = value === true ? "true" : value === false ? "false" : "";
      input.addEventListener("change", function () { onValue(input.value === "" ? undefined : input.value === "true"); });
    } else if (f.type === "enum") {
      input = el("select", { id: id, name: f.name, "aria-describedby": describedBy }, [el("option", { value: "", text: "Not set" })]);
      (f.options || []).forEach(function (o) { input.appendChild(el("option", { value: o, text: o })); });
      if (value !== undefined && value !== null && (f.options || []).indexOf(value) < 0) input.appendChild(el("option", { value: String(value), text: String(value) }));
      input.value = value === undefined || value === null ? "" : String(value);
      input.addEventListener("change", function () { onValue(input.value === "" ? undefined : input.value); });
    } else if (f.type === "integer" || f.type === "number") {
      input = el("input", {
        id: id, name: f.name, type: "number", inputmode: f.type === "integer" ? "numeric" : "decimal",
        step: f.type === "integer" ? "1" : "any", min: f.min === null || f.min === undefined ? null : f.min,
        max: f.max === null || f.max === undefined ? null : f.max, "aria-describedby": describedBy,
      });
      input.value = typeof value === "number" ? String(value) : "";
      input.addEventListener("input", function () {
        var problem = null;
        var v;
        if (input.value.trim() === "" && !input.validity.badInput) v = undefined;
        else {
          v = Number(input.value);
          if (input.value.trim() === "" || !isFinite(v)) problem = "Enter a number.";
          else if (f.type === "integer" && !Number.isInteger(v)) problem = "Enter a whole number.";
          else if (f.min !== null && f.min !== undefined && v < f.min) problem = "At least " + f.min + ".";
          else if (f.max !== null && f.max !== undefined && v > f.max) problem = "At most " + f.max + ".";
        }
        err.textContent = problem || "";
        err.hidden = !problem;
        if (problem) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
        if (!problem) onValue(v);
      });
    } else if (f.type === "string_list") {
      input = el("input", { id: id, name: f.name, type: "text", "aria-describedby": describedBy, placeholder: "comma, separated, values" });
      input.value = Array.isArray(value) ? value.join(", ") : "";
      input.addEventListener("input", function () {
        var items = input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
        onValue(items.length ? items : undefined);
      });
    } else if (f.type === "text") {
      input = el("textarea", { id: id, name: f.name, rows: 3, "aria-describedby": describedBy });
      input.value = typeof value === "string" ? value : "";
      input.addEventListener("input", function () { onValue(input.value === "" ? undefined : input.value); });
    } else {
      input = el("input", { id: id, name: f.name, type: "text", "aria-describedby": describedBy, autocomplete: "off" });
      input.value = value === undefined || value === null ? "" : String(value);
      input.addEventListener("input", function () { onValue(input.value === "" ? undefined : input.value); });
    }
    wrap.appendChild(input);
    if (help) wrap.appendChild(help);
    wrap.appendChild(err);
    return wrap;
  }

  function orderedFields(t) {
    var own = t.fields.filter(function (f) { return !commonFields.has(f.name); });
    var common = t.fields.filter(function (f) { return commonFields.has(f.name); });
    var hasModel = own.some(function (f) { return f.name === "model"; });
    if (hasModel) {
      // vendor belongs with model and model version
      var vendor = common.filter(function (f) { return f.name === "vendor"; });
      common = common.filter(function (f) { return f.name !== "vendor"; });
      var i = own.findIndex(function (f) { return f.name === "model"; });
      own = own.slice(0, i).concat(vendor, own.slice(i));
    }
    return [own, common];
  }

  function connectionsOf(df) {
    var out = [];
    var inc = [];
    allSvgs().forEach(function (s) {
      if (svgOut(s) === df) out.push(s);
      else if (svgIn(s) === df) inc.push(s);
    });
    return [out, inc];
  }

  function renderNodePanel(df) {
    var n = state.nodes.get(df);
    var t = types.get(n.type) || { label: n.type, category: "unknown", domains: [], fields: [] };
    var head = el("div", { className: "wfe-panel-head" }, [
      el("span", { className: "wfe-badge cat-" + t.category, text: CATEGORY_NAMES[t.category] || t.category }),
      el("h2", { id: "wfe-panel-title", text: "Step" }),
    ]);
    panel.appendChild(head);
    panel.appendChild(el("p", { className: "wfe-panel-sub" }, [t.label + " · id ", el("code", { text: n.id })]));
    var domains = el("p", { className: "wfe-domains", "data-testid": "step-domains" });
    if (t.domains && t.domains.length) {
      domains.appendChild(document.createTextNode("Evidences "));
      t.domains.forEach(function (d) { domains.appendChild(el("a", { className: "wfe-domain", href: "/psf/" + d + "/", text: d })); });
    } else {
      domains.appendChild(document.createTextNode("Evidences no PSF domain on its own."));
    }
    panel.appendChild(domains);

    var labelInput = el("input", { id: "wfe-label", name: "label", type: "text", required: true, maxlength: 200, autocomplete: "off", "aria-describedby": "wfe-label-error" });
    labelInput.value = n.label;
    var labelErr = el("small", { id: "wfe-label-error", className: "wfe-error", hidden: true, text: "A step needs a label." });
    labelInput.addEventListener("input", function () {
      n.label = labelInput.value;
      labelErr.hidden = labelInput.value.trim() !== "";
      if (labelErr.hidden) labelInput.removeAttribute("aria-invalid"); else labelInput.setAttribute("aria-invalid", "true");
      fillCard(df);
      markDirty();
    });
    panel.appendChild(el("div", { className: "wfe-field" }, [el("label", { for: "wfe-label", text: "Label" }), labelInput, labelErr]));

    var groups = orderedFields(t);
    var onValue = function (name) {
      return function (v) {
        if (v === undefined) delete n.config[name]; else n.config[name] = v;
        markDirty();
      };
    };
    [[groups[0], "Configuration"], [groups[1], "Ownership and data"]].forEach(function (g) {
      if (!g[0].length) return;
      var fs = el("fieldset", { className: "wfe-fieldset" }, [el("legend", { text: g[1] })]);
      g[0].forEach(function (f) { fs.appendChild(fieldRow(f, n.config[f.name], onValue(f.name))); });
      panel.appendChild(fs);
    });

    // Connections of this step, selectable without hitting a thin curve, plus a keyboard way to connect.
    var lists = connectionsOf(df);
    var conn = el("fieldset", { className: "wfe-fieldset" }, [el("legend", { text: "Connections" })]);
    var ul = el("ul", { className: "wfe-conn-list" });
    lists[0].concat(lists[1]).forEach(function (s) {
      var e = state.edges.get(s);
      var outgoing = svgOut(s) === df;
      var other = nodeLabelOf(outgoing ? svgIn(s) : svgOut(s));
      var b = el("button", { type: "button", className: "wfe-link" }, [
        el("span", { className: "wfe-kind-dot kind-" + (e ? e.kind : "data"), "aria-hidden": "true" }),
        (outgoing ? "→ " : "← ") + other + " (" + (e ? e.kind : "data") + ")",
      ]);
      b.addEventListener("click", function () { selectEdge(s); });
      ul.appendChild(el("li", null, [b]));
    });
    if (!ul.children.length) ul.appendChild(el("li", { className: "wfe-small", text: "No connections yet." }));
    conn.appendChild(ul);
    var target = el("select", { id: "wfe-connect-target", name: "connect_target" }, [el("option", { value: "", text: "Choose a step…" })]);
    state.nodes.forEach(function (m, odf) {
      if (odf !== df) target.appendChild(el("option", { value: odf, text: (m.label || m.id) + " (" + m.id + ")" }));
    });
    var kindSel = el("select", { id: "wfe-connect-kind", name: "connect_kind" }, ["data", "fallback", "escalation"].map(function (k) { return el("option", { value: k, text: k }); }));
    var connectBtn = el("button", { type: "button", className: "wfe-btn", "data-testid": "connect" , text: "Connect" });
    connectBtn.addEventListener("click", function () {
      if (!target.value) { target.focus(); return; }
      pendingKind = kindSel.value;
      var before = allSvgs().length;
      try { editor.addConnection(df, target.value, "output_1", "input_1"); } finally { pendingKind = null; }
      if (allSvgs().length === before) say("These steps are already connected.", "info");
    });
    conn.appendChild(el("div", { className: "wfe-connect" }, [
      el("div", { className: "wfe-field" }, [el("label", { for: "wfe-connect-target", text: "Connect to" }), target]),
      el("div", { className: "wfe-field" }, [el("label", { for: "wfe-connect-kind", text: "Kind" }), kindSel]),
      connectBtn,
    ]));
    panel.appendChild(conn);

    var del = el("button", { type: "button", className: "wfe-btn wfe-btn-danger wfe-block", "data-testid": "delete-step", text: "Delete this step" });
    del.addEventListener("click", deleteSelection);
    panel.appendChild(del);
  }

  function dataPathExists(fromDf, toDf) {
    // Is there a path fromDf → … → toDf over data edges? (a new data edge toDf → fromDf would close a loop)
    var succ = new Map();
    allSvgs().forEach(function (s) {
      var e = state.edges.get(s);
      if (!e || e.kind !== "data") return;
      var a = svgOut(s);
      if (!succ.has(a)) succ.set(a, []);
      succ.get(a).push(svgIn(s));
    });
    var seen = new Set([fromDf]);
    var stack = [fromDf];
    while (stack.length) {
      var v = stack.pop();
      if (v === toDf) return true;
      (succ.get(v) || []).forEach(function (w) { if (!seen.has(w)) { seen.add(w); stack.push(w); } });
    }
    return false;
  }

  function renderEdgePanel(svg) {
    var edge = state.edges.get(svg);
    var a = svgOut(svg);
    var b = svgIn(svg);
    panel.appendChild(el("div", { className: "wfe-panel-head" }, [
      el("span", { className: "wfe-badge kind-badge kind-" + edge.kind, text: edge.kind }),
      el("h2", { id: "wfe-panel-title", text: "Connection" }),
    ]));
    var from = el("button", { type: "button", className: "wfe-link", text: nodeLabelOf(a) });
    from.addEventListener("click", function () { selectNode(a); });
    var to = el("button", { type: "button", className: "wfe-link", text: nodeLabelOf(b) });
    to.addEventListener("click", function () { selectNode(b); });
    panel.appendChild(el("p", { className: "wfe-panel-sub" }, ["From ", from, " to ", to, " · id ", el("code", { text: edge.id })]));

    var kind = el("select", { id: "wfe-edge-kind", name: "kind", "data-testid": "edge-kind", "aria-describedby": "wfe-edge-kind-help" },
      Object.keys(KINDS).map(function (k) { return el("option", { value: k, text: k.charAt(0).toUpperCase() + k.slice(1) }); }));
    kind.value = edge.kind;
    var help = el("small", { id: "wfe-edge-kind-help", className: "wfe-help", text: KINDS[edge.kind] });
    var loop = el("small", { className: "wfe-error", hidden: true, text: "This data connection closes a loop of data connections; the server will refuse it. Make it a fallback or escalation, or remove it." });
    function checkLoop() { loop.hidden = !(edge.kind === "data" && dataPathExists(b, a)); }
    kind.addEventListener("change", function () {
      edge.kind = kind.value;
      applyEdge(svg, edge);
      help.textContent = KINDS[edge.kind];
      panel.querySelector(".wfe-badge").className = "wfe-badge kind-badge kind-" + edge.kind;
      panel.querySelector(".wfe-badge").textContent = edge.kind;
      checkLoop();
      markDirty();
    });
    panel.appendChild(el("div", { className: "wfe-field" }, [el("label", { for: "wfe-edge-kind", text: "Kind" }), kind, help, loop]));
    checkLoop();

    var label = el("input", { id: "wfe-edge-label", name: "edge_label", type: "text", maxlength: 200, autocomplete: "off", placeholder: "e.g. on timeout" });
    label.value = edge.label || "";
    label.addEventListener("input", function () { edge.label = label.value; applyEdge(svg, edge); markDirty(); });
    panel.appendChild(el("div", { className: "wfe-field" }, [el("label", { for: "wfe-edge-label", text: "Label (optional)" }), label]));

    var del = el("button", { type: "button", className: "wfe-btn wfe-btn-danger wfe-block", "data-testid": "delete-edge", text: "Delete this connection" });
    del.addEventListener("click", deleteSelection);
    panel.appendChild(del);
  }

  panel.addEventListener("submit", function (e) { e.preventDefault(); });

  // --- dirty state, status ---------------------------------------------------------------------
  function markDirty() {
    state.dirty = true;
    dirtyEl.textContent = "Unsaved changes";
    dirtyEl.setAttribute("data-dirty", "true");
    saveBtn.classList.add("is-dirty");
  }

  function markClean() {
    state.dirty = false;
    dirtyEl.textContent = "No changes";
    dirtyEl.setAttribute("data-dirty", "false");
    saveBtn.classList.remove("is-dirty");
  }

  function refreshCounts() {
    var n = state.nodes.size;
    var e = allSvgs().length;
    countsEl.textContent = n + " step" + (n === 1 ? "" : "s") + " · " + e + " connection" + (e === 1 ? "" : "s");
    emptyEl.hidden = n > 0;
  }

  var statusTimer = null;
  function say(text, tone, extra) {
    clearTimeout(statusTimer);
    statusEl.textContent = "";
    statusEl.className = "wfe-status is-" + (tone || "info");
    var box = el("div", { className: "wfe-status-box" });
    box.appendChild(el("p", { className: "wfe-status-text", text: text }));
    if (extra) box.appendChild(extra);
    var close = el("button", { type: "button", className: "wfe-status-close", "aria-label": "Dismiss message", text: "×" });
    close.addEventListener("click", function () { statusEl.textContent = ""; statusEl.className = "wfe-status"; });
    box.appendChild(close);
    statusEl.appendChild(box);
    if (tone === "info" || tone === "success") {
      statusTimer = setTimeout(function () { statusEl.textContent = ""; statusEl.className = "wfe-status"; }, tone === "success" ? 8000 : 5000);
    }
  }

  // --- save ------------------------------------------------------------------------------------
  function currentEdges() {
    var out = [];
    allSvgs().forEach(function (s) {
      var e = state.edges.get(s);
      var a = state.nodes.get(svgOut(s));
      var b = state.nodes.get(svgIn(s));
      if (!e || !a || !b) return;
      out.push({ order: e.order, id: e.id, from: a.id, to: b.id, kind: e.kind, label: e.label || "" });
    });
    out.sort(function (x, y) { return x.order - y.order; });
    return out;
  }

  function buildDocument() {
    var nodes = [];
    state.nodes.forEach(function (n, df) {
      var d = dfData(df);
      var config = {};
      Object.keys(n.config).forEach(function (k) { if (n.config[k] !== undefined) config[k] = n.config[k]; });
      nodes.push({ id: n.id, type: n.type, label: n.label, config: config, position: { x: Math.round(d.pos_x), y: Math.round(d.pos_y) } });
    });
    var edges = currentEdges().map(function (e) {
      var out = { id: e.id, from: e.from, to: e.to, kind: e.kind };
      if (e.label) out.label = e.label;
      return out;
    });
    return {
      format: doc.format || "workflowos.workflow/v1",
      name: doc.name || boot.workflow.name,
      description: doc.description || "",
      facts: doc.facts || {},
      nodes: nodes,
      edges: edges,
    };
  }

  function downloadButton(document_) {
    var b = el("button", { type: "button", className: "wfe-btn", "data-testid": "download-mine", text: "Download my version" });
    b.addEventListener("click", function () {
      var blob = new Blob([JSON.stringify(document_, null, 2) + "\n"], { type: "application/json" });
      var a = el("a", { href: URL.createObjectURL(blob), download: "workflow-" + boot.workflow.id + "-unsaved.json" });
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
    return b;
  }

  function describePath(path, sent) {
    var m = /^(?:document\.)?nodes\[(\d+)\](.*)$/.exec(path || "");
    if (m && sent.nodes[+m[1]]) {
      var n = sent.nodes[+m[1]];
      return "Step “" + (n.label || n.id) + "” (" + n.id + ")" + (m[2] ? " " + m[2].replace(/^\./, "") : "");
    }
    m = /^(?:document\.)?edges\[(\d+)\](.*)$/.exec(path || "");
    if (m && sent.edges[+m[1]]) {
      var e = sent.edges[+m[1]];
      return "Connection " + e.from + " → " + e.to + (m[2] ? " " + m[2].replace(/^\./, "") : "");
    }
    return path || "document";
  }

  function save() {
    if (state.saving || root.getAttribute("data-ready") !== "true") return;
    var sent = buildDocument();
    state.saving = true;
    saveBtn.disabled = true;
    saveBtn.setAttribute("aria-busy", "true");
    say("Saving…", "pending");
    fetch(boot.api.workflow, {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ document: sent, base_version: state.head, message: "Edited in the graph editor" }),
    }).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (body) { onSaved(res.status, body || {}, sent); });
    }, function () {
      say("Could not reach the server. Your changes are still here: try again, or download them.", "error", downloadButton(sent));
    }).then(function () {
      state.saving = false;
      saveBtn.disabled = false;
      saveBtn.removeAttribute("aria-busy");
    });
  }

  function onSaved(status, body, sent) {
    if (status === 201 || status === 200) {
      state.head = body.head_version;
      doc = Object.assign({}, doc, { name: sent.name, description: sent.description, facts: sent.facts });
      document.querySelectorAll("[data-testid=head-version]").forEach(function (h) { h.textContent = "v" + state.head; });
      markClean();
      if (status === 201) say("Saved as version " + state.head + ".", "success");
      else say("Nothing changed since version " + state.head + ".", "success");
      return;
    }
    if (status === 409) {
      var extra = el("div", { className: "wfe-status-actions" }, [
        downloadButton(sent),
        el("a", { href: window.location.pathname, className: "wfe-link", text: "Open the latest version (discards your edits)" }),
      ]);
      say((body.message || "Someone saved a newer version of this workflow.") + " Your edits are still on screen and were not saved.", "error", extra);
      return;
    }
    if (status === 400 && Array.isArray(body.errors)) {
      var list = el("ul", { className: "wfe-status-errors", "data-testid": "save-errors" });
      body.errors.slice(0, 30).forEach(function (e) {
        var item = el("li", null, [el("code", { text: e.path || "document" }), " " + describePath(e.path, sent) + ": " + e.message]);
        var m = /^(?:document\.)?nodes\[(\d+)\]/.exec(e.path || "");
        var df = m && sent.nodes[+m[1]] ? dfOfNodeId(sent.nodes[+m[1]].id) : null;
        if (df) {
          var show = el("button", { type: "button", className: "wfe-link", text: "Show" });
          show.addEventListener("click", function () { centreOnNow(df); selectNode(df, true); });
          item.appendChild(document.createTextNode(" "));
          item.appendChild(show);
        }
        list.appendChild(item);
      });
      if (body.errors.length > 30) list.appendChild(el("li", { text: "… and " + (body.errors.length - 30) + " more." }));
      say("Not saved: the server refused the workflow (" + body.errors.length + " problem" + (body.errors.length === 1 ? "" : "s") + ").", "error", list);
      return;
    }
    say((body.message || "Saving failed (HTTP " + status + ").") + " Your changes are still here.", "error", downloadButton(sent));
  }

  // --- wiring ----------------------------------------------------------------------------------
  var actions = {
    save: save,
    layout: autoLayout,
    "zoom-in": function () { zoomTo(editor.zoom * 1.2); },
    "zoom-out": function () { zoomTo(editor.zoom / 1.2); },
    "zoom-reset": function () { zoomTo(1); },
    fit: function () { fitView(false); },
    delete: deleteSelection,
  };
  root.querySelectorAll(".wfe-toolbar [data-action]").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.getAttribute("data-action")](); });
  });
  var toolbar = root.querySelector(".wfe-toolbar");
  toolbar.addEventListener("keydown", function (e) {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    var items = Array.prototype.filter.call(toolbar.querySelectorAll("button"), function (b) { return !b.disabled; });
    var i = items.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    items[(i + (e.key === "ArrowRight" ? 1 : items.length - 1)) % items.length].focus();
  });

  function typing(t) {
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === "s" || e.key === "S")) {
      e.preventDefault();
      save();
      return;
    }
    if (typing(e.target)) return;
    var onCanvas = e.target === document.body || canvas.contains(e.target);
    if ((e.key === "Delete" || (e.key === "Backspace" && onCanvas)) && state.selected) {
      e.preventDefault();
      deleteSelection();
    } else if (e.key === "Escape" && state.selected) {
      clearSelection();
    }
  });

  window.addEventListener("beforeunload", function (e) {
    if (!state.dirty) return;
    e.preventDefault();
    e.returnValue = "";
  });

  // --- start -----------------------------------------------------------------------------------
  var viewSize = { w: canvas.clientWidth, h: canvas.clientHeight };
  importDocument(doc);
  var highlighted = [];
  if (boot.highlight && boot.highlight.length) {
    var wanted = new Set(boot.highlight);
    state.nodes.forEach(function (n, df) {
      if (wanted.has(n.id)) { nodeEl(df).classList.add("is-highlighted"); highlighted.push(df); }
    });
  }
  fitView(true);
  if (highlighted.length) {
    // keep the overview when the first highlighted step is in it; otherwise scroll to that step
    var hd = dfData(highlighted[0]);
    var sx = editor.canvas_x + hd.pos_x * editor.zoom;
    var sy = editor.canvas_y + hd.pos_y * editor.zoom;
    if (editor.zoom < 0.6 || sx < 0 || sy < 0 || sx + NODE_W * editor.zoom > viewSize.w || sy + NODE_H * editor.zoom > viewSize.h) {
      editor.zoom = Math.max(editor.zoom, 0.8);
      centreOn(highlighted[0]);
    }
  }
  refreshCounts();
  renderPanel();
  root.querySelectorAll("button[disabled], input[disabled]").forEach(function (b) {
    if (b.getAttribute("data-action") !== "delete") b.disabled = false;
  });
  root.setAttribute("aria-busy", "false");
  root.setAttribute("data-ready", "true");
  if (window.performance && performance.mark) performance.mark("wfe-ready"); // read by bench/editor_page.py
})();
