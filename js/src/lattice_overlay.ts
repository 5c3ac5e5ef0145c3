// What the lattice canvas draws over its picture (its overlay canvas), redrawn alone when the
// selection or the hover changes: the selected cells' outlines (every cell's for a small
// selection, the region's boundary for a big one), rings around them where the cells are a few
// pixels, the hovered cell's outline; and the room the picture keeps around its cells for them.
import { type Placement, toDevice } from "./canvas_size";
import { boundarySegments, nNeurons } from "./geometry";
import { type Geometry } from "./lattice_paint";

const RING_BELOW = 9; // CSS px per cell under which selected neurons also get a ring
const RING_RADIUS = 8; // CSS px
const MAX_RINGS = 64;
/** How far (CSS px) a selection ring reaches from its neuron's centre: the radius, half the
 *  3.5 px white halo and a pixel of anti-aliasing. */
const RING_REACH = RING_RADIUS + 1.75 + 1;
/** Selections up to this size outline every cell; bigger ones outline their region's boundary
 * (one path), so a brushed region stays readable and does not hide the data. */
export const PER_CELL_OUTLINE_MAX = 64;

/** The room (CSS px) the picture keeps beyond its cells' padding on one axis, so that what
 * the selection overlay draws around an outer neuron stays inside the picture (boxes around
 * the view, a plane's card, clip what reaches past it): its ring (when the cells are small
 * enough for rings) and its outline's white halo. `pad` and `inset` are plane units: the
 * padding beyond the cells and the distance from the outermost centres to the cells' bounds. */
export function overlayMargin(scale: number, pad: number, inset: number): number {
  const ring = scale < RING_BELOW ? RING_REACH - (inset + pad) * scale : 0;
  const halo = 1.1 * Math.max(1.5, Math.min(3, 0.12 * scale)) + 1 - pad * scale;
  return Math.max(0, ring, halo);
}

/** A hash of a selection (sorted neuron indices): with its size and ends, the key of the
 * outline drawn for it. */
export function selectionHash(neurons: number[]): number {
  let s = 0;
  for (const k of neurons) s = (s * 31 + k) % 2147483647;
  return s;
}

/** Draws the overlay; keeps the last big selection's outline path. */
export class SelectionOverlay {
  private outline: { key: string; path: Path2D } | null = null;

  /** Clear ctx's canvas and draw the selection `selected` (its {@link selectionHash} `sum`)
   * and the hovered neuron (-1: none) on it. */
  paint(ctx: CanvasRenderingContext2D, p: Placement, g: Geometry, selected: number[], sum: number,
    hover: number): void {
    const { scale, dpr } = p;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    const m = nNeurons(p.lat);
    const w = Math.max(1.5 * dpr, Math.min(3 * dpr, 0.12 * scale * dpr));
    if (selected.length > PER_CELL_OUTLINE_MAX) {
      // a big selection: one outline of its region (white halo, then the selection colour)
      const path = this.outlinePath(p, g, selected, sum);
      ctx.lineJoin = "round";
      ctx.lineCap = "round";
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = w * 2.2;
      ctx.stroke(path);
      ctx.strokeStyle = "#d6004c";
      ctx.lineWidth = w;
      ctx.stroke(path);
    } else if (selected.length) {
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = w * 2.2;
      for (const k of selected) if (k >= 0 && k < m) ctx.stroke(g.cells[k]);
      ctx.strokeStyle = "#d6004c";
      ctx.lineWidth = w;
      for (const k of selected) if (k >= 0 && k < m) ctx.stroke(g.cells[k]);
      // cells of a few pixels (big maps, small multiples): a ring around each selected neuron
      // keeps a selection visible at a glance
      if (scale < RING_BELOW && selected.length <= MAX_RINGS) {
        const r = RING_RADIUS * dpr;
        for (const [colour, lw] of [["#ffffff", 3.5], ["#d6004c", 1.75]] as const) {
          ctx.strokeStyle = colour;
          ctx.lineWidth = lw * dpr;
          ctx.beginPath();
          for (const k of selected) {
            if (k < 0 || k >= m) continue;
            const [cx, cy] = toDevice(p, p.centres[2 * k], p.centres[2 * k + 1]);
            ctx.moveTo(cx + r, cy);
            ctx.arc(cx, cy, r, 0, 2 * Math.PI);
          }
          ctx.stroke();
        }
      }
    }
    if (hover >= 0 && hover < m) {
      ctx.strokeStyle = "#111";
      ctx.lineWidth = w;
      ctx.stroke(g.cells[hover]);
    }
  }

  /** The boundary of the selected region as one device-pixel path (cached per selection). */
  private outlinePath(p: Placement, g: Geometry, selected: number[], sum: number): Path2D {
    const key = `${g.key}|${selected.length}|${selected[0]}|${selected[selected.length - 1]}|${sum}`;
    if (this.outline && this.outline.key === key) return this.outline.path;
    const segs = boundarySegments(p.lat, selected);
    const path = new Path2D();
    for (let i = 0; i < segs.length; i += 4) {
      const [ax, ay] = toDevice(p, segs[i], segs[i + 1]);
      const [bx, by] = toDevice(p, segs[i + 2], segs[i + 3]);
      path.moveTo(ax, ay);
      path.lineTo(bx, by);
    }
    this.outline = { key, path };
    return path;
  }
}
