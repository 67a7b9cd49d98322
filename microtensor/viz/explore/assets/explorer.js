// microtensor graph explorer: the page's whole behaviour (no libraries, no network).
// EXPLORER_DATA (written by microtensor/viz/explore/page.py) holds the graph, one SVG per view,
// the forward order and the recorded backward pass, in the engine's order.
"use strict";
(function () {
  const D = EXPLORER_DATA;
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas"), stage = $("stage"), panel = $("panel");

  // ------------------------------------------------------------------ the steps
  // step 0: nothing run yet; then one step per op of the forward pass; then one per node of
  // the backward pass (engine order).
  const steps = [{ phase: "start" }];
  D.forward.forEach((op) => steps.push({ phase: "forward", op: op }));
  D.backward.forEach((b, i) => steps.push({ phase: "backward", op: b.op, index: i }));
  const backwardOf = {};
  D.backward.forEach((b, i) => { backwardOf[b.op] = i; });

  const state = { step: 0, view: "", selected: null, playing: null, zoom: 1, x: 0, y: 0 };

  // ------------------------------------------------------------------ numbers
  function fmt(v) {
    if (v === null || v === undefined) return "–";
    if (typeof v !== "number") return String(v);
    if (Number.isNaN(v)) return "nan";
    if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
    if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
    return String(Number(v.toPrecision(4)));
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }
  function histogram(h) {
    const w = 240, ht = 48, n = h.counts.length, top = Math.max(1, ...h.counts);
    let bars = "";
    h.counts.forEach((c, i) => {
      const bh = Math.round((c / top) * ht);
      bars += `<rect x="${(i * w) / n}" y="${ht - bh}" width="${w / n - 1}" height="${bh}"></rect>`;
    });
    return `<svg class="hist" width="${w}" height="${ht + 14}">${bars}` +
      `<text x="0" y="${ht + 12}">${fmt(h.lo)}</text>` +
      `<text x="${w}" y="${ht + 12}" text-anchor="end">${fmt(h.hi)}</text></svg>`;
  }
  function summary(s, label) {
    if (!s) return `<div class="row"><b>${label}</b> <span class="muted">none</span></div>`;
    let out = `<div class="row"><b>${label}</b> <span class="muted">${esc(s.shape.length ? "(" + s.shape.join(", ") + ")" : "scalar")} ${esc(s.dtype)}</span></div>`;
    if (s.text !== undefined) out += `<pre class="values ${label}">${esc(s.text)}</pre>`;
    if (s.n > 1 && s.min !== undefined) {
      out += `<div class="stats">min ${fmt(s.min)} · max ${fmt(s.max)} · mean ${fmt(s.mean)} · std ${fmt(s.std)} · norm ${fmt(s.norm)}</div>`;
    }
    if (s.nan || s.inf) out += `<div class="bad">${s.nan} NaN, ${s.inf} inf</div>`;
    if (s.hist) out += histogram(s.hist);
    return out;
  }
  function shortValue(s) {
    if (!s) return "–";
    if (s.text !== undefined && s.text.length <= 60) return s.text;
    return `(${s.shape.join(", ")}) norm ${fmt(s.norm)}`;
  }
  function tensorLabel(id) {
    const t = D.tensors[id];
    return `<a href="#" data-node="${id}">${esc(t.name || (t.kind === "output" ? "output" : "tensor " + id))}</a> <span class="muted">${esc(t.describe)}</span>`;
  }
  function opLabel(id) {
    if (id === null || id === undefined) return "the start (dL/dL = 1)";
    return `<a href="#" data-node="${id}">${esc(D.ops[id].name)}</a> <span class="muted">${id}</span>`;
  }

  // ------------------------------------------------------------------ views
  function renderView(view) {
    state.view = view;
    canvas.innerHTML = D.svg[view];
    renderCrumbs();
    paintClasses();
  }
  function renderCrumbs() {
    const chain = [];
    for (let v = state.view; v !== null && v !== undefined; v = D.views[v].parent) chain.unshift(v);
    $("crumbs").innerHTML = chain.map((v) => `<a href="#" data-view="${esc(v)}">${v === "" ? "graph" : esc(v.split(".").pop())}</a>`).join(" › ");
  }
  function nodeElement(id) { return document.getElementById(id); }
  function enclosingBox(opId) {
    // the box that stands for op opId in the current view (a child module), if any
    let v = D.opView[opId];
    while (v !== "" && D.views[v].parent !== state.view) v = D.views[v].parent;
    return v !== "" && D.views[v].parent === state.view ? document.getElementById("m_" + v) : null;
  }

  // ------------------------------------------------------------------ painting a step
  function paintClasses() {
    canvas.querySelectorAll(".current,.fwd-done,.bwd-done,.receiving,.selected,.contributing").forEach((el) => el.classList.remove("current", "fwd-done", "bwd-done", "receiving", "selected", "contributing"));
    const s = steps[state.step];
    const mark = (id, cls) => { const el = nodeElement(id) || (D.ops[id] ? enclosingBox(id) : null); if (el) el.classList.add(cls); };
    const forwardDone = s.phase === "forward" ? D.forward.indexOf(s.op) : (s.phase === "backward" ? D.forward.length : -1);
    for (let i = 0; i <= forwardDone && i < D.forward.length; i++) {
      const op = D.forward[i];
      mark(op, "fwd-done");
      if (D.ops[op].output) mark(D.ops[op].output, "fwd-done");
    }
    if (s.phase === "backward") {
      for (let i = 0; i < s.index; i++) mark(D.backward[i].op, "bwd-done");
      const b = D.backward[s.index];
      b.sent.forEach((x) => mark(x.tensor, "receiving"));
      b.contributions.forEach((c) => { if (c.from) mark(c.from, "contributing"); });
    }
    if (s.op) {
      mark(s.op, "current");
    }
    flagNodes();
    if (state.selected) mark(state.selected, "selected");
  }
  function flagNodes() {
    Object.keys(D.tensors).forEach((id) => {
      const flags = D.tensors[id].flags;
      const el = nodeElement(id);
      if (el && flags.length) { el.classList.add("flagged"); el.setAttribute("data-flags", flags.join(" ")); }
    });
    const a = D.anomalies;
    [a.forward, a.backward].forEach((x) => { if (x) { const el = nodeElement(x.op); if (el) el.classList.add("flagged-op"); } });
  }

  function goto(step) {
    state.step = Math.max(0, Math.min(steps.length - 1, step));
    const s = steps[state.step];
    if (s.op && D.opView[s.op] !== state.view) { renderView(D.opView[s.op]); fit(); } else paintClasses();
    $("slider").value = state.step;
    $("stepLabel").textContent = stepText(s);
    if (s.phase === "start") showIntro();
    else if (s.phase === "forward") showForward(s);
    else showBackward(s);
  }
  function stepText(s) {
    if (s.phase === "start") return `step 0 / ${steps.length - 1}: before the forward pass`;
    if (s.phase === "forward") return `forward ${D.forward.indexOf(s.op) + 1} / ${D.forward.length}: ${D.ops[s.op].name}`;
    return `backward ${s.index + 1} / ${D.backward.length}: ${D.ops[s.op].name}`;
  }

  // ------------------------------------------------------------------ the side panel
  function showIntro() {
    panel.innerHTML = `<h2>${esc(D.title)}</h2><p>${Object.keys(D.ops).length} ops, ${Object.keys(D.tensors).length} tensors.
      Press → (or ▶) to run the forward pass op by op, then the backward pass in the order the engine processes the nodes.
      Click any tensor or op for its numbers; drag to pan, scroll to zoom.</p>` + anomalyText();
  }
  function showForward(s) {
    const op = D.ops[s.op];
    panel.innerHTML = `<h2>Forward: ${esc(op.name)} <span class="muted">${s.op}</span></h2>
      <div class="formula">${esc(D.docs[op.cls].formula)}</div>
      <h3>inputs</h3>${inputList(op)}
      <h3>output</h3>${op.output ? tensorLabel(op.output) + summary(D.tensors[op.output].data, "data") : "–"}`;
  }
  function inputList(op) {
    return "<ul>" + op.inputs.map((x) => typeof x === "string" ? `<li>${tensorLabel(x)} = <code>${esc(shortValue(D.tensors[x].data))}</code></li>` : `<li>constant <code>${esc(x.const)}</code></li>`).join("") + "</ul>";
  }
  function showBackward(s) {
    const b = D.backward[s.index], op = D.ops[b.op];
    let received = "<ul>" + b.contributions.map((c) => `<li>from ${opLabel(c.from)}: <code>${esc(shortValue(c.grad))}</code></li>`).join("") + "</ul>";
    if (b.contributions.length > 1) {
      received += `<div class="sum">sum of ${b.contributions.length} contributions: g = ${b.contributions.map((c) => esc(shortValue(c.grad))).join(" + ")} = <code>${esc(shortValue(b.grad))}</code></div>`;
    }
    const sent = "<ul>" + b.sent.map((x) => `<li>to input ${x.position} ${tensorLabel(x.tensor)}: <code>${esc(shortValue(x.grad))}</code></li>`).join("") + "</ul>";
    panel.innerHTML = `<h2>Backward: ${esc(op.name)} <span class="muted">${b.op}</span></h2>
      <h3>g = dL/d(output) arriving</h3>${received}
      <div class="formula">${esc(D.docs[op.cls].formula)}</div>${plugged(b)}
      <h3>dL/d(input) sent</h3>${sent}`;
  }
  function plugged(b) {
    return b.plug.length ? `<div class="plug">${b.plug.map((l) => `<div>${esc(l)}</div>`).join("")}</div>` : "";
  }
  function showTensor(id) {
    const t = D.tensors[id];
    const flags = t.flags.length ? `<div class="bad">flagged: ${t.flags.join(", ")}</div>` : "";
    panel.innerHTML = `<h2 class="tensor-title">${esc(t.name || id)} <span class="muted">${esc(t.kind)}</span></h2>
      <div class="row">${esc(t.describe)}</div>${flags}
      ${t.freed ? "<div class='muted'>values freed by backward()</div>" : summary(t.data, "data")}
      ${summary(t.grad, "grad")}${received(id)}
      <h3>made by</h3>${t.producer ? opLabel(t.producer) : "<span class='muted'>a leaf (no op)</span>"}
      <h3>used by</h3><ul>${t.consumers.map((c) => `<li>${opLabel(c)}</li>`).join("")}</ul>`;
  }
  function received(id) {
    // every gradient sent to this tensor in the backward pass; used k times: k contributions
    const parts = [];
    D.backward.forEach((b) => b.sent.forEach((x) => { if (x.tensor === id) parts.push({ from: b.op, grad: x.grad }); }));
    if (parts.length < 2) return "";
    const t = D.tensors[id];
    return `<h3>gradient received: the sum of ${parts.length} contributions</h3><ul class="received">` +
      parts.map((p) => `<li>from ${opLabel(p.from)}: <code>${esc(shortValue(p.grad))}</code></li>`).join("") +
      `</ul><div class="sum">${parts.map((p) => esc(shortValue(p.grad))).join(" + ")} = <code>${esc(shortValue(t.grad))}</code></div>`;
  }
  function showOp(id) {
    const op = D.ops[id];
    const b = backwardOf[id] !== undefined ? D.backward[backwardOf[id]] : null;
    const attrs = Object.keys(op.attrs).map((k) => `${k}=${op.attrs[k]}`).join(", ");
    panel.innerHTML = `<h2 class="op-title">${esc(op.name)} <span class="muted">${id} · ${esc(op.cls)}${op.scope ? " · in " + esc(op.scope) : ""}</span></h2>
      ${attrs ? `<div class="row">${esc(attrs)}</div>` : ""}
      <h3>backward formula <span class="muted">(the docstring of ${esc(op.cls)})</span></h3>
      <pre class="doc">${esc(D.docs[op.cls].doc || "(no docstring)")}</pre>
      ${b ? plugged(b) + `<h3>g arriving</h3><code>${esc(shortValue(b.grad))}</code><h3>sent</h3><ul>${b.sent.map((x) => `<li>${tensorLabel(x.tensor)}: <code>${esc(shortValue(x.grad))}</code></li>`).join("")}</ul>` : "<p class='muted'>no gradient reached this op</p>"}
      <h3>inputs</h3>${inputList(op)}`;
  }
  function anomalyText() {
    const a = D.anomalies;
    let out = "";
    if (a.forward) out += `<div class="alert">NaN/inf first produced in the forward pass by ${opLabel(a.forward.op)}</div>`;
    if (a.backward) out += `<div class="alert">NaN/inf gradient first produced in the backward pass by ${opLabel(a.backward.op)}</div>`;
    const exploding = Object.keys(D.tensors).filter((id) => D.tensors[id].flags.includes("exploding"));
    const vanishing = Object.keys(D.tensors).filter((id) => D.tensors[id].flags.includes("vanishing"));
    if (exploding.length) out += `<div class="alert">exploding gradient (|g| &gt; 1e4) at ${exploding.slice(0, 5).map(tensorLabel).join(", ")}</div>`;
    if (vanishing.length) out += `<div class="alert warn">vanishing gradient (|g| &lt; 1e-8) at ${vanishing.slice(0, 5).map(tensorLabel).join(", ")}</div>`;
    return out;
  }
  function select(id) {
    state.selected = id;
    if (D.tensors[id]) showTensor(id); else if (D.ops[id]) showOp(id);
    const view = D.ops[id] ? D.opView[id] : null;
    if (view !== null && view !== state.view && !nodeElement(id)) renderView(view);
    else paintClasses();
  }

  // ------------------------------------------------------------------ pan and zoom
  function applyTransform() {
    canvas.style.transform = `translate(${state.x}px, ${state.y}px) scale(${state.zoom})`;
  }
  function fit() {
    const svg = canvas.querySelector("svg");
    if (!svg) return;
    const w = svg.width.baseVal.value || 1, h = svg.height.baseVal.value || 1;
    state.zoom = Math.min(stage.clientWidth / w, stage.clientHeight / h, 1.5);
    state.x = (stage.clientWidth - w * state.zoom) / 2;
    state.y = (stage.clientHeight - h * state.zoom) / 2;
    applyTransform();
  }
  stage.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = stage.getBoundingClientRect(), mx = e.clientX - r.left, my = e.clientY - r.top;
    const k = Math.exp(-e.deltaY * 0.0015);
    state.x = mx - (mx - state.x) * k;
    state.y = my - (my - state.y) * k;
    state.zoom *= k;
    applyTransform();
  }, { passive: false });
  let drag = null;
  stage.addEventListener("mousedown", (e) => { drag = { x: e.clientX - state.x, y: e.clientY - state.y, moved: false }; });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    drag.moved = true;
    state.x = e.clientX - drag.x; state.y = e.clientY - drag.y;
    applyTransform();
  });
  window.addEventListener("mouseup", () => { setTimeout(() => { drag = null; }, 0); });

  // ------------------------------------------------------------------ clicks and keys
  canvas.addEventListener("click", (e) => {
    if (drag && drag.moved) return;
    const g = e.target.closest("g.node");
    if (!g) return;
    if (g.id.startsWith("m_")) { renderView(g.id.slice(2)); fit(); return; }
    select(g.id);
  });
  document.addEventListener("click", (e) => {
    const a = e.target.closest("a[data-node], a[data-view]");
    if (!a) return;
    e.preventDefault();
    if (a.dataset.view !== undefined) { renderView(a.dataset.view); fit(); } else select(a.dataset.node);
  });
  function play() {
    if (state.playing) { clearInterval(state.playing); state.playing = null; $("play").textContent = "play"; return; }
    if (state.step === steps.length - 1) goto(0);
    $("play").textContent = "pause";
    state.playing = setInterval(() => { if (state.step >= steps.length - 1) play(); else goto(state.step + 1); }, 700);
  }
  $("first").onclick = () => goto(0);
  $("prev").onclick = () => goto(state.step - 1);
  $("next").onclick = () => goto(state.step + 1);
  $("last").onclick = () => goto(steps.length - 1);
  $("play").onclick = play;
  $("fit").onclick = fit;
  $("slider").max = steps.length - 1;
  $("slider").oninput = (e) => goto(Number(e.target.value));
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" && e.target.type !== "range") return;
    const keys = { ArrowRight: () => goto(state.step + 1), ArrowLeft: () => goto(state.step - 1), Home: () => goto(0), End: () => goto(steps.length - 1), " ": play };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });

  // ------------------------------------------------------------------ start
  $("alerts").innerHTML = anomalyText();
  renderView("");
  fit();
  goto(0);
  window.explorer = {
    data: D, steps: steps, goto: goto, select: select, openView: (v) => { renderView(v); fit(); },
    state: () => ({ step: state.step, phase: steps[state.step].phase, op: steps[state.step].op || null, view: state.view, selected: state.selected }),
  };
  window.explorerReady = true;
  window.explorerReadyTime = performance.now();
})();
