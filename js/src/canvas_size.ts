// The size of a lattice canvas: the box a fixed width (width=, canvas_width) scrolls sideways in.

/** What {@link applyWidth} sizes: a LatticeCanvas (its root and its "width" option). */
export interface SizedCanvas {
  root: HTMLElement;
  setOption(key: "width", value: number | undefined): void;
}

/** The box a lattice canvas sits in: it scrolls sideways when the canvas is wider than the
 * output (a fixed width, {@link applyWidth}); else a plain block. */
export function canvasScroller(canvas: SizedCanvas): HTMLDivElement {
  const scroller = document.createElement("div");
  scroller.className = "sw-canvas-scroll";
  scroller.append(canvas.root);
  return scroller;
}

/** A view's canvas_width (CSS px; 0 or not a number: fill the output): the canvas that wide
 * and as tall as its lattice makes it, in a scroller that scrolls sideways (never down: the
 * canvas' own height is the box's). */
export function applyWidth(canvas: SizedCanvas, scroller: HTMLElement, canvasWidth: unknown): void {
  const w = Number(canvasWidth ?? 0);
  const fixed = Number.isFinite(w) && w > 0;
  canvas.setOption("width", fixed ? w : undefined);
  Object.assign(scroller.style, fixed ? { overflowX: "auto", overflowY: "hidden", maxWidth: "100%" }
    : { overflowX: "", overflowY: "", maxWidth: "" });
}
