// anywidget entry for ComponentPlanes: one small lattice per feature (data units), small
// multiples, click a plane's title to enlarge it, the shared selection outlined in every plane.
import { decodeFloat, type FloatArray } from "./codecs";
import {
  colourBar,
  describeNeuron,
  formatValue,
  FrameAck,
  latticeOf,
  SelectionLink,
  viewShell,
  wrapText,
} from "./common";
import { applyWidth, canvasScroller } from "./canvas_size";
import { combine, LatticeCanvas } from "./lattice_canvas";
import { changes, type PlanesModel, type RenderProps } from "./models";

const GRID_GAP = 10;
const MIN_PLANE = 150;
const TARGET_PLANE = 190;
const MAX_PLANE = 240;
/** A box the planes scroll in (the Explorer's): it gets the scroll hint. */
const SCROLL_BOX = ".somwidget-planes-box";

function render({ model, el }: RenderProps<PlanesModel>): () => void {
  const { title, sub, picker, clear, head } = viewShell(model, el, "sw-multi", "planes");
  clear.classList.add("sw-clear"); // the Explorer shows one Clear button for all its views
  const grid = document.createElement("div");
  grid.className = "sw-planes";
  // Inside a scroll box (the Explorer's planes box): a fade at its bottom edge with "13
  // planes, scroll for more" while planes are hidden below (overlay scrollbars show nothing
  // until hovered); sticky, so it stays at the box's bottom edge, and gone at the end.
  const hint = document.createElement("div");
  hint.className = "sw-scroll-hint";
  el.append(head, grid, hint);
  let scroller: HTMLElement | null = null;
  function updateHint(): void {
    const box = el.closest<HTMLElement>(SCROLL_BOX);
    if (box !== scroller) {
      scroller?.removeEventListener("scroll", updateHint);
      box?.addEventListener("scroll", updateHint, { passive: true });
      scroller = box;
    }
    el.classList.toggle("sw-in-scroll-box", Boolean(box));
    const more = Boolean(box) && box!.scrollTop + box!.clientHeight < box!.scrollHeight - 2;
    hint.classList.toggle("sw-more", more);
    hint.textContent = `${planes.length} planes, scroll for more`;
    el.dataset.moreBelow = String(more);
  }

  let planes: Array<{ box: HTMLDivElement; canvas: LatticeCanvas; legend: HTMLDivElement; label: HTMLDivElement;
    scroll: HTMLDivElement }> = [];
  let drawnFrame = -1;
  const ack = new FrameAck(model);
  let selected: number[] = [];
  let all: FloatArray = new Float32Array(0);
  let names: string[] = [];

  const link = new SelectionLink(model, (neurons) => {
    selected = neurons;
    for (const p of planes) p.canvas.setSelected(neurons);
    el.dataset.selected = neurons.join(",");
    el.dataset.nselected = String(neurons.length);
    clear.disabled = neurons.length === 0;
  });
  clear.addEventListener("click", () => link.set([]));

  // Small multiples: as many columns as fit the container (about 190 px per plane, never
  // narrower than 150 px nor wider than 240 px), recomputed whenever the container resizes.
  // A dashboard sets smaller planes with the CSS variables --sw-plane-min / -target / -max.
  function size(name: string, fallback: number): number {
    const v = parseFloat(getComputedStyle(el).getPropertyValue(name));
    return Number.isFinite(v) && v > 0 ? v : fallback;
  }
  let legendLeast = 0;
  /** The narrowest card that shows its colour bar whole (px): the widest pair of minimum and
   * maximum labels, the bar at its least width, the gaps between them, the legend's left
   * margin, the card's left padding and its borders. Small cards (the Explorer's, 88 px at
   * the least) cut the maximum of a bar such as "0.1974 ▭ 0.5999" short at their right edge. */
  function legendWidth(): number {
    let labels = 0;
    let margin = 0;
    let sample: (typeof planes)[number] | null = null;
    for (const p of planes) {
      const lo = p.legend.querySelector<HTMLElement>(".sw-min");
      const hi = p.legend.querySelector<HTMLElement>(".sw-max");
      if (!lo || !hi) continue;
      labels = Math.max(labels, lo.getBoundingClientRect().width + hi.getBoundingClientRect().width);
      margin = Math.max(margin, parseFloat(p.legend.style.marginLeft || "0") || 0);
      sample ??= p;
    }
    const bar = sample?.legend.querySelector<HTMLElement>(".sw-cb");
    const swatch = bar?.querySelector<HTMLElement>("canvas");
    if (!sample || !bar || !swatch) return legendLeast;
    const px = (v: string) => parseFloat(v) || 0;
    const card = getComputedStyle(sample.box);
    const barStyle = getComputedStyle(swatch);
    const least = px(barStyle.minWidth) + px(barStyle.borderLeftWidth) + px(barStyle.borderRightWidth);
    // the labels may run into the card's right padding, not past it (the card clips there);
    // a pixel is kept clear
    const need = Math.ceil(labels + 2 * px(getComputedStyle(bar).columnGap) + least + margin
      + px(card.paddingLeft) + px(card.borderLeftWidth) + px(card.borderRightWidth) + 1);
    // the most since the last update: the legend's margin follows the cards' width (the
    // picture's scale), so the grid may lose a column for it but never flips back and forth
    legendLeast = Math.max(legendLeast, need);
    return legendLeast;
  }
  function layoutGrid(): void {
    const w = grid.clientWidth;
    if (!w) return;
    const minP = Math.max(size("--sw-plane-min", MIN_PLANE), legendWidth());
    const targetP = Math.max(size("--sw-plane-target", TARGET_PLANE), minP);
    const maxP = Math.max(size("--sw-plane-max", MAX_PLANE), minP);
    const n = Math.max(1, Math.min(
      planes.length || 1,
      Math.floor((w + GRID_GAP) / (minP + GRID_GAP)),
      Math.max(1, Math.round((w + GRID_GAP) / (targetP + GRID_GAP))),
    ));
    const cw = Math.min(maxP, Math.floor((w - (n - 1) * GRID_GAP) / n));
    const tpl = `repeat(${n}, ${Math.max(cw, 60)}px)`;
    if (grid.style.gridTemplateColumns !== tpl) grid.style.gridTemplateColumns = tpl;
    el.dataset.columns = String(n);
  }
  const gridObserver = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => {
    layoutGrid();
    updateHint();
  }) : null;
  gridObserver?.observe(grid);
  gridObserver?.observe(el);

  const totalDraws = () => planes.reduce((s, p) => s + p.canvas.draws, 0);

  function build(n: number): void {
    for (const p of planes) p.canvas.destroy();
    planes = [];
    legendLeast = 0;
    grid.replaceChildren();
    for (let i = 0; i < n; i++) {
      const box = document.createElement("div");
      box.className = "sw-plane";
      const label = document.createElement("div");
      label.className = "sw-plane-title";
      const idx = i;
      label.addEventListener("click", () => {
        model.set("enlarged", model.get("enlarged") === idx ? -1 : idx);
        model.save_changes();
        applyEnlarged();
      });
      const legend = document.createElement("div");
      const canvas: LatticeCanvas = new LatticeCanvas({
        maxHeight: 220,
        minScale: 0.25, // a big map still fits its small card (cells below a pixel are averaged)
        onSelect: (ks, mode) => link.set(combine(link.get(), ks, mode)),
        onClear: () => link.set([]),
        describe: (k) => {
          const lat = canvas.lat!;
          const m = lat.rows * lat.cols;
          const lines = describeNeuron(k, lat, [], new Float32Array(0), []);
          lines.push(`${names[idx] ?? `feature ${idx}`}: ${formatValue(all[idx * m + k])}`);
          return lines;
        },
        onDraw: () => {
          // the colour bar starts where the plane's paint does (see LatticeCanvas.inkLeft)
          const left = Math.round(canvas.inkLeft * 100) / 100;
          if (parseFloat(legend.style.marginLeft || "0") !== left) {
            legend.style.marginLeft = `${left}px`;
            layoutGrid(); // the card's least width holds the legend's margin
          }
          el.dataset.frame = String(drawnFrame);
          el.dataset.draws = String(totalDraws());
          ack.drawn(drawnFrame);
        },
      });
      canvas.setSelected(selected);
      // the enlarged plane at canvas_width scrolls sideways in its card (applyEnlarged)
      const scroll = canvasScroller(canvas);
      box.append(label, scroll, legend);
      grid.append(box);
      planes.push({ box, canvas, legend, label, scroll });
    }
  }

  function applyEnlarged(): void {
    const e = model.get("enlarged");
    planes.forEach((p, i) => {
      p.box.classList.toggle("sw-enlarged", i === e);
      p.canvas.setOption("maxHeight", i === e ? 520 : 220);
      // width= is the enlarged plane's (its cells big enough to read); the small ones fit their card
      applyWidth(p.canvas, p.scroll, i === e ? model.get("canvas_width") : 0);
      p.canvas.schedule();
    });
    if (e >= 0 && e < planes.length) grid.prepend(planes[e].box);
    else planes.forEach((p) => grid.append(p.box));
  }

  function update(): void {
    const lat = latticeOf(model);
    const m = lat.rows * lat.cols;
    names = model.get("plane_names") ?? [];
    const n = names.length;
    if (n !== planes.length) {
      build(n);
      layoutGrid();
    }
    all = decodeFloat(model.get("plane_values"));
    const vmins: number[] = model.get("vmins") ?? [];
    const vmaxs: number[] = model.get("vmaxs") ?? [];
    const cmap = model.get("colormap");
    title.textContent = model.get("title");
    const wrap = wrapText(lat);
    sub.textContent = `${n} features · ${lat.rows} × ${lat.cols} ${lat.shape === "hexa" ? "hexagonal" : "rectangular"} map · ${model.get("units_note") || "colours in each feature's own units"}${wrap ? " · " + wrap : ""}`;
    picker.value = cmap;
    drawnFrame = model.get("frame");
    planes.forEach((p, i) => {
      p.label.textContent = names[i];
      p.label.title = `${names[i]}: click to enlarge / shrink this plane`;
      p.canvas.setOption("label", `SOM component plane ${names[i]}`);
      p.canvas.setLattice(lat);
      p.canvas.setData({
        values: all.length >= (i + 1) * m ? all.subarray(i * m, (i + 1) * m) : new Float32Array(0),
        vmin: vmins[i] ?? 0, vmax: vmaxs[i] ?? 1, colormap: cmap, style: "color",
        showValues: Boolean(model.get("show_values")),
      });
      p.legend.replaceChildren(colourBar(cmap, vmins[i] ?? 0, vmaxs[i] ?? 1, ""));
      p.canvas.schedule();
    });
    legendLeast = 0;
    layoutGrid(); // the new colour-bar labels may need wider cards, or fit narrower ones
    applyEnlarged();
    updateHint();
  }

  const events = changes<PlanesModel>("frame", "colormap", "title", "plane_names", "rows", "cols", "shape", "wrap_rows",
    "wrap_cols", "enlarged", "show_values", "canvas_width");
  model.on(events, update);
  update();
  void link.resolve();
  (el as HTMLElement & { somwidget?: unknown }).somwidget = {
    neuronClientPoint: (k: number) => planes[0].canvas.neuronClientPoint(k),
    planes: () => planes.map((p) => p.canvas),
  };
  return () => {
    model.off(events, update);
    link.dispose();
    gridObserver?.disconnect();
    scroller?.removeEventListener("scroll", updateHint);
    for (const p of planes) p.canvas.destroy();
  };
}

export default { render };
