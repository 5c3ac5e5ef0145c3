// anywidget entry for ElevationMap: the relief of one value per neuron as prisms on a canvas.
// The kernel sends the lattice (rows, cols, shape), the values and heights (binary float
// buffers), the colour map and range and the angles; the browser projects and draws
// (elevation_scene.ts), so turning and tilting are local: drag on the canvas, or the keys. The
// keyboard also has a focused prism (outlined, described in a live region) that Shift with the
// arrow keys moves and Enter / Space adds to or takes from the shared selection.
import { watchPixelRatio } from "./canvas_size";
import { decodeData, decodeFloat, type FloatArray } from "./codecs";
import {
  announce, colourBar, describeNeuron, FrameAck, latticeOf, liveRegion, PageTooltip, SelectionLink, type TooltipField,
  viewShell, watchTheme, wrapText,
} from "./common";
import { colourOf } from "./colors";
import { keyAnchor, type Lattice, nNeurons } from "./geometry";
import { changes, type ElevationModel, type RenderProps } from "./models";
import { focusKey, keyAngles, layout, pickPrism, type Scene, scene, shade, visiblePoint } from "./elevation_scene";

/** Degrees per pixel of a drag: horizontal turns, vertical tilts. */
const TURN_PER_PX = 0.5;
const TILT_PER_PX = 0.3;
/** Least milliseconds between two angle updates sent to the kernel while dragging. */
const SYNC_MS = 60;

/** The keys, for the canvas's aria-label and the view's subtitle (the docstring of
 * somwidget/widgets/elevation.py says the same). */
const KEYS_LABEL = "arrow keys turn and tilt, PageUp / PageDown turn faster, + and - tilt, "
  + "Shift+arrow keys move the focused prism, Home / End focus the first / last, "
  + "Enter or Space selects or deselects it, Escape clears the selection";

function themeColour(el: HTMLElement, name: string, fallback: string): string {
  const v = typeof getComputedStyle === "function" ? getComputedStyle(el).getPropertyValue(name).trim() : "";
  return v || fallback;
}

function render({ model, el }: RenderProps<ElevationModel>): () => void {
  const { title, sub, picker, clear, head } = viewShell(model, el, "sw-single", "elevation");
  const wrap = document.createElement("div");
  wrap.style.position = "relative";
  const canvas = document.createElement("canvas");
  canvas.className = "somwidget-canvas sw-elevation-canvas";
  canvas.tabIndex = 0;
  canvas.style.display = "block";
  canvas.style.touchAction = "none";
  canvas.style.cursor = "grab";
  // a widget of its own keys: screen readers pass the arrow keys through to it
  canvas.setAttribute("role", "application");
  const status = liveRegion();
  wrap.append(canvas, status);
  const legendBox = document.createElement("div");
  const tooltip = new PageTooltip();
  el.append(head, wrap, legendBox);

  let lat: Lattice = latticeOf(model);
  let values: FloatArray = new Float32Array(0);
  let hits: Float32Array = new Float32Array(0);
  /** The prism the keyboard acts on (-1: none yet), outlined while the canvas has the focus;
   * a neuron index, so turning the relief keeps it. */
  let focus = -1;
  let hasFocus = false;
  let heights: Float32Array = new Float32Array(0);
  let az = model.get("azimuth");
  let elev = model.get("elevation");
  let sc: Scene | null = null;
  let selected: number[] = [];
  let drawnFrame = -1;
  let draws = 0;
  let pending = 0;
  const ack = new FrameAck(model);

  const link = new SelectionLink(model, (neurons) => {
    selected = neurons;
    el.dataset.selected = neurons.join(",");
    clear.disabled = neurons.length === 0;
    say();
    schedule();
  });

  function schedule(): void {
    if (pending) return;
    pending = requestAnimationFrame(() => { pending = 0; draw(); });
  }

  function draw(): void {
    // the box's width to the pixel below (clientWidth rounds a 452.5 px box up: a canvas that
    // wide would spill half a pixel past the output, a scrollbar that scrolls to nothing)
    const boxW = Math.floor(el.getBoundingClientRect().width) || 640;
    const cssW = Math.max(120, Math.min(model.get("picture_width") || 640, boxW));
    const v = layout(lat, model.get("max_height"), az, elev, cssW, 14, heights);
    const dpr = window.devicePixelRatio || 1;
    canvas.style.width = `${cssW}px`;
    canvas.style.height = `${v.height}px`;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(v.height * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(v.height * dpr);
    }
    const ctx = canvas.getContext("2d");
    sc = scene(lat, heights, v);
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, v.height);
    ctx.lineJoin = "round";
    const cmap = model.get("colormap");
    const vmin = model.get("vmin");
    const vmax = model.get("vmax");
    const { nv, top, base, order, visible, shades } = sc;
    const edge = Math.max(0.3, Math.min(1.0, 0.03 * v.s));
    ctx.lineWidth = edge;
    const poly = (pts: Float64Array, k: number) => {
      ctx.beginPath();
      for (let i = 0; i < nv; i++) {
        const j = 2 * (k * nv + i);
        if (i === 0) ctx.moveTo(pts[j], pts[j + 1]); else ctx.lineTo(pts[j], pts[j + 1]);
      }
      ctx.closePath();
    };
    // canvas state changes are costly at 10,000 prisms: shades cached, styles set only on change
    const shades_ = new Map<string, string>();
    let fillNow = "";
    let strokeNow = "";
    const fillWith = (c: string) => { if (c !== fillNow) { ctx.fillStyle = c; fillNow = c; } };
    const strokeWith = (c: string) => { if (c !== strokeNow) { ctx.strokeStyle = c; strokeNow = c; } };
    for (const k of order) {
      const fill = colourOf(cmap, values[k], vmin, vmax);
      if (heights[k] > 0) {
        for (const i of visible) {
          const a = 2 * (k * nv + i);
          const b = 2 * (k * nv + ((i + 1) % nv));
          ctx.beginPath();
          ctx.moveTo(base[a], base[a + 1]);
          ctx.lineTo(base[b], base[b + 1]);
          ctx.lineTo(top[b], top[b + 1]);
          ctx.lineTo(top[a], top[a + 1]);
          ctx.closePath();
          const key = `${fill}${i}`;
          let side = shades_.get(key);
          if (side === undefined) { side = shade(fill, shades[i]); shades_.set(key, side); }
          fillWith(side);
          ctx.fill();
          strokeWith("#00000040");
          ctx.stroke();
        }
      }
      poly(top, k);
      fillWith(fill);
      ctx.fill();
      strokeWith("#00000030");
      ctx.stroke();
    }
    const sw = Math.max(1.5, Math.min(3.0, 0.08 * v.s));
    const m = lat.rows * lat.cols;
    const halo = themeColour(el, "--jp-layout-color0", "#ffffff");
    el.dataset.halo = halo; // the theme colour the selection's halo was drawn in
    for (const k of selected) {
      if (!(k >= 0 && k < m)) continue;
      for (const [colour, w] of [[halo, 2.2 * sw], ["#d6004c", sw]] as Array<[string, number]>) {
        poly(top, k);
        ctx.strokeStyle = colour;
        ctx.lineWidth = w;
        ctx.stroke();
      }
    }
    // the focused prism: its top face grown by a third around its middle, in the theme's brand
    // colour over a halo, so it shows outside a selection's outline and over nearer prisms
    el.dataset.focus = String(focus);
    el.dataset.focusShown = hasFocus && focus >= 0 && focus < m ? "1" : "0";
    if (el.dataset.focusShown === "1") {
      const ring = themeColour(el, "--jp-brand-color1", "#1976d2");
      el.dataset.ring = ring;
      let mx = 0, my = 0;
      for (let i = 0; i < nv; i++) { mx += top[2 * (focus * nv + i)] / nv; my += top[2 * (focus * nv + i) + 1] / nv; }
      const grown = new Float64Array(2 * nv);
      for (let i = 0; i < nv; i++) {
        const j = 2 * (focus * nv + i);
        grown[2 * i] = mx + (4 / 3) * (top[j] - mx);
        grown[2 * i + 1] = my + (4 / 3) * (top[j + 1] - my);
      }
      for (const [colour, w] of [[halo, 2.6 * sw], [ring, 1.3 * sw]] as Array<[string, number]>) {
        poly(grown, 0);
        ctx.strokeStyle = colour;
        ctx.lineWidth = w;
        ctx.stroke();
      }
    }
    draws += 1;
    el.dataset.draws = String(draws);
    el.dataset.frame = String(drawnFrame);
    el.dataset.azimuth = az.toFixed(2);
    el.dataset.elevation = elev.toFixed(2);
    ack.drawn(drawnFrame);
  }

  function update(): void {
    // the picture's own width, not a dashboard card's (at most the output's: the sw-single
    // rules' max-width); CSS variables, which ipywidgets' layout does not reset
    const width = `${Math.max(120, model.get("picture_width") || 640)}px`;
    el.style.setProperty("--sw-dash-width", width);
    el.style.setProperty("--sw-view-width", width);
    lat = latticeOf(model);
    values = decodeFloat(model.get("values"));
    hits = decodeData(model.get("hits"), "float32");
    // a smaller map: the focused prism is gone, and the live region says so (it is the one
    // thing a frame announces: training sends frames at 15 fps, and a live region that spoke
    // each one would never stop; a key, the focus or the selection says the new values)
    const lost = focus >= nNeurons(lat);
    if (lost) focus = -1;
    heights = decodeData(model.get("heights"), "float32");
    const cmap = model.get("colormap");
    title.textContent = model.get("title");
    const w = wrapText(lat);
    sub.textContent = `${lat.rows} × ${lat.cols} ${lat.shape === "hexa" ? "hexagonal" : "rectangular"} map`
      + `${w ? ` · ${w}` : ""} · drag or arrow keys to turn, +/- to tilt, Shift+arrows and Enter to select`;
    picker.value = cmap;
    const grey = Array.prototype.some.call(values, (v: number) => Number.isNaN(v)) ? " · grey: no value" : "";
    legendBox.replaceChildren(colourBar(cmap, model.get("vmin"), model.get("vmax"),
      `${model.get("value_label")}; prism height ∝ value${grey}`));
    canvas.setAttribute("aria-label", `Elevation map, ${lat.rows} × ${lat.cols}: ${KEYS_LABEL}; click selects`);
    if (lost) say();
    drawnFrame = model.get("frame");
    schedule();
  }

  function onAngles(): void {
    if (dragging) return; // the pointer's angles are newer than the kernel's
    az = model.get("azimuth");
    elev = model.get("elevation");
    schedule();
  }

  // ---- angles from the pointer and the keys, sent to the kernel (throttled) -----------------
  let lastSync = 0;
  let syncTimer = 0;
  function setAngles(a: number, e: number, now = false): void {
    // hundredths of a degree: what Python reads stays tidy (a drag's pixels are fractional)
    az = (Math.round((((a % 360) + 360) % 360) * 100) / 100) % 360;
    elev = Math.round(Math.min(90, Math.max(0, e)) * 100) / 100;
    schedule();
    const send = () => {
      syncTimer = 0;
      lastSync = performance.now();
      model.set("azimuth", az);
      model.set("elevation", elev);
      model.save_changes();
    };
    if (now || performance.now() - lastSync >= SYNC_MS) {
      if (syncTimer) clearTimeout(syncTimer);
      send();
    } else if (!syncTimer) syncTimer = window.setTimeout(send, SYNC_MS);
  }

  function pointAt(e: { clientX: number; clientY: number }): number {
    if (!sc) return -1;
    const r = canvas.getBoundingClientRect();
    return pickPrism(sc, e.clientX - r.left, e.clientY - r.top);
  }

  /** Neuron k's lines: index, row and column, the value in the view's words, and its hits when
   * the kernel sent them (a view of the hits has them as its values). */
  function describe(k: number): string[] {
    const m = nNeurons(lat);
    const fields: TooltipField[] = [{ name: model.get("value_label"), source: "values" }];
    const withHits = hits.length === m && m > 0;
    if (withHits) fields.push({ name: "hits", format: "int" });
    return describeNeuron(k, lat, fields, withHits ? hits : new Float32Array(0), [], values);
  }

  /** The live region says the focused prism (its lines, selected or not) while the canvas has
   * the focus, so one view speaks, not every view the selection links. */
  function say(): void {
    if (!hasFocus) return;
    const m = nNeurons(lat);
    if (!(focus >= 0 && focus < m)) { announce(status, ""); return; }
    const n = selected.length;
    const inSel = selected.includes(focus);
    const rest = n - (inSel ? 1 : 0);
    announce(status, `${describe(focus).join(", ")}, ${inSel ? "selected" : "not selected"}`
      + (rest > 0 ? `; ${n} neuron${n === 1 ? "" : "s"} selected` : ""));
  }

  function setFocus(k: number): void {
    focus = k;
    say();
    schedule();
  }

  function showTip(e: PointerEvent): void {
    const k = pointAt(e);
    el.dataset.hover = String(k);
    if (k < 0) { tooltip.hide(); return; }
    tooltip.show(describe(k), e.clientX, e.clientY);
  }

  let dragging = false;
  let start: { x: number; y: number; az: number; el: number; moved: boolean } | null = null;
  const onDown = (e: PointerEvent) => {
    if (e.button !== 0) return;
    canvas.focus({ preventScroll: true });
    start = { x: e.clientX, y: e.clientY, az, el: elev, moved: false };
    canvas.setPointerCapture?.(e.pointerId);
  };
  const onMove = (e: PointerEvent) => {
    if (start && (e.buttons & 1)) {
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      if (!start.moved && Math.hypot(dx, dy) < 3) return;
      start.moved = true;
      dragging = true;
      canvas.style.cursor = "grabbing";
      tooltip.hide();
      setAngles(start.az + TURN_PER_PX * dx, start.el + TILT_PER_PX * dy);
      return;
    }
    showTip(e);
  };
  const onUp = (e: PointerEvent) => {
    if (!start) return;
    const s = start;
    start = null;
    canvas.style.cursor = "grab";
    if (s.moved) {
      dragging = false;
      setAngles(az, elev, true);
      return;
    }
    const k = pointAt(e);
    if (k < 0) return;
    setFocus(k);
    const add = e.shiftKey || e.ctrlKey || e.metaKey;
    const cur = link.get();
    if (e.ctrlKey || e.metaKey) link.set(cur.includes(k) ? cur.filter((j) => j !== k) : [...cur, k]);
    else link.set(add ? [...cur, k] : [k]);
  };
  const onCancel = () => {
    // only a real drag changed the angles: a cancelled click sends nothing to the kernel
    const moved = start?.moved ?? false;
    start = null;
    dragging = false;
    canvas.style.cursor = "grab";
    if (moved) setAngles(az, elev, true);
  };
  const onLeave = () => { tooltip.hide(); el.dataset.hover = "-1"; };
  const onKey = (e: KeyboardEvent) => {
    // the browser's and JupyterLab's shortcuts (Ctrl / Cmd / Alt+anything, Shift+Enter runs
    // the cell; Shift+Space and Shift+Escape are left to the page too): the key goes on unstopped
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const m = nNeurons(lat);
    if (e.key === "Escape") {
      if (e.shiftKey) return;
      link.set([]);
    } else if (e.key === "Enter" || e.key === " " || e.key === "Spacebar") {
      if (m <= 0 || e.shiftKey) return;
      const k = focus >= 0 && focus < m ? focus : 0;
      if (k !== focus) setFocus(k);
      const cur = link.get();
      link.set(cur.includes(k) ? cur.filter((j) => j !== k) : [...cur, k]);
    } else {
      const f = focusKey(lat, focus, e.key, e.shiftKey, az);
      if (f !== null) setFocus(f);
      else {
        const next = keyAngles(e.key, az, elev);
        if (!next) return;
        setAngles(next[0], next[1], true);
      }
    }
    // the key goes no further (as on the lattice maps): the notebook does not also take it as a
    // shortcut, the page does not scroll
    e.preventDefault();
    e.stopPropagation();
  };
  const onFocus = () => {
    hasFocus = true;
    // the first focus: the lowest selected neuron, else neuron 0 (as the lattice views start)
    if (!(focus >= 0 && focus < nNeurons(lat))) focus = Math.max(0, keyAnchor(lat, selected, -1));
    if (nNeurons(lat) <= 0) focus = -1;
    say();
    schedule();
  };
  const onBlur = () => { hasFocus = false; schedule(); };
  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onCancel);
  canvas.addEventListener("pointerleave", onLeave);
  canvas.addEventListener("keydown", onKey);
  canvas.addEventListener("focus", onFocus);
  canvas.addEventListener("blur", onBlur);
  clear.addEventListener("click", () => link.set([]));
  const resize = typeof ResizeObserver === "function" ? new ResizeObserver(() => schedule()) : null;
  resize?.observe(el);
  // the halo of the selected prisms is the theme's background: JupyterLab marks a theme change
  // on <body>, so draw again in the new theme's colours (else the old halo stays until a turn)
  const themeWatch = watchTheme(schedule);
  // a new screen density (zoom, another screen): the backing store drawn again at its ratio
  const ratioWatch = watchPixelRatio(schedule);

  const events = changes<ElevationModel>("frame", "colormap", "title", "rows", "cols", "shape", "max_height",
    "picture_width", "hits");
  const angleEvents = changes<ElevationModel>("azimuth", "elevation");
  model.on(events, update);
  model.on(angleEvents, onAngles);
  update();
  void link.resolve();
  (el as HTMLElement & { somwidget?: unknown }).somwidget = {
    /** a client (page) point where neuron k is drawn on top (elevation_scene's visiblePoint:
     * its top face's middle when that shows, else its visible part; a neuron hidden whole by
     * nearer prisms: its top face's middle) */
    neuronClientPoint: (k: number) => {
      if (!sc) return null;
      const [x, y] = visiblePoint(sc, k);
      const r = canvas.getBoundingClientRect();
      return { x: r.left + x, y: r.top + y };
    },
    angles: () => ({ azimuth: az, elevation: elev }),
    /** the keyboard's focused prism (-1: none yet) */
    focused: () => focus,
  };
  return () => {
    model.off(events, update);
    model.off(angleEvents, onAngles);
    link.dispose();
    resize?.disconnect();
    themeWatch?.disconnect();
    ratioWatch?.disconnect();
    if (pending) cancelAnimationFrame(pending);
    if (syncTimer) clearTimeout(syncTimer);
    tooltip.remove();
  };
}

export default { render };
