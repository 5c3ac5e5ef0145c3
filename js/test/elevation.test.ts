import assert from "node:assert/strict";
import { test } from "node:test";
import { extent, keyAngles, layout, pickTop, project, scene, shade, topCentre, type View } from "../src/elevation_scene";
import type { Lattice } from "../src/geometry";

const RECT22: Lattice = { rows: 2, cols: 2, shape: "rect", wrapRows: false, wrapCols: false };
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

test("2x2 lattice at azimuth 90, elevation 30: screen points are the docstring's formula by hand", () => {
  // centres (0,0) (1,0) (0,1) (1,1); the middle of their bounding box (0.5, 0.5)
  const { cx, cy, radius } = extent(RECT22);
  assert.deepEqual([cx, cy], [0.5, 0.5]);
  close(radius, Math.SQRT2, "radius: centre to the corner (1.5, 1.5)");
  const view: View = { s: 10, ox: 100, oy: 50, cx, cy, azimuth: 90, elevation: 30 };
  const heights = [1, 0, 2, 0.5];
  const sc = scene(RECT22, heights, view);
  // a = 90 deg: X_r = -v, Y_r = u; sin e = 1/2, cos e = sqrt(3)/2
  const ce = Math.sqrt(3) / 2;
  const want: Array<[number, number, number]> = [
    // neuron 0: u = v = -0.5 -> X_r = 0.5, Y_r = -0.5
    [100 + 10 * 0.5, 50 + 10 * (-0.5 * 0.5 - 1 * ce), -0.5],
    // neuron 1: u = 0.5, v = -0.5 -> X_r = 0.5, Y_r = 0.5
    [105, 50 + 10 * (0.5 * 0.5 - 0 * ce), 0.5],
    // neuron 2: u = -0.5, v = 0.5 -> X_r = -0.5, Y_r = -0.5
    [95, 50 + 10 * (-0.25 - 2 * ce), -0.5],
    // neuron 3: u = v = 0.5 -> X_r = -0.5, Y_r = 0.5
    [95, 50 + 10 * (0.25 - 0.5 * ce), 0.5],
  ];
  want.forEach(([x, y, d], k) => {
    const [tx, ty] = topCentre(sc, k); // the square's corners average to its centre (affine)
    close(tx, x, `x of neuron ${k}`);
    close(ty, y, `y of neuron ${k}`);
    close(sc.depth[k], d, `depth of neuron ${k}`);
  });
  // neuron 0's first corner: the plane point (-0.5, -0.5), u = v = -1: X_r = 1, Y_r = -1, z = 1
  close(sc.top[0], 110, "corner x");
  close(sc.top[1], 50 + 10 * (-0.5 - ce), "corner y");
  // its base corner: z = 0
  close(sc.base[1], 50 + 10 * -0.5, "base corner y");
  const [px, py] = project(view, -0.5, -0.5, 1);
  close(px, 110, "project x");
  close(py, 50 + 10 * (-0.5 - ce), "project y");
  // painter's order: far (small Y_r) first, ties left (small X_r) first
  assert.deepEqual(sc.order, [2, 0, 3, 1]);
});

test("painter's order is far to near at every azimuth; side faces face the viewer", () => {
  const hex: Lattice = { rows: 4, cols: 5, shape: "hexa", wrapRows: false, wrapCols: false };
  for (const az of [0, 30, 135, 250, 359]) {
    const v = layout(hex, 2, az, 40, 400);
    const sc = scene(hex, new Array(20).fill(1), v);
    for (let i = 1; i < sc.order.length; i++) assert.ok(sc.depth[sc.order[i]] >= sc.depth[sc.order[i - 1]] - 1e-9);
    assert.equal(new Set(sc.order).size, 20);
  }
  // azimuth 0, a square: only the edge facing +y (towards the viewer) has a visible face, shade 0.62
  const sc = scene(RECT22, [1, 1, 1, 1], { s: 10, ox: 0, oy: 0, cx: 0.5, cy: 0.5, azimuth: 0, elevation: 40 });
  assert.deepEqual(sc.visible, [2]);
  close(sc.shades[2], 0.62, "side shade");
  // seen from above no side shows
  assert.deepEqual(scene(RECT22, [1, 1, 1, 1], { ...sc.view, elevation: 90 }).visible, []);
  assert.equal(shade("#808080", 0.5), "#404040");
  assert.equal(shade("#ffffff", 2), "#ffffff");
});

test("layout: s fills the width, the canvas height fits the scene at the elevation, whatever the azimuth", () => {
  const v = layout(RECT22, 1, 0, 40, 300);
  close(v.s, (300 - 28) / (2 * Math.SQRT2), "s");
  close(v.ox, 14 + v.s * Math.SQRT2, "ox");
  const hex: Lattice = { rows: 4, cols: 5, shape: "hexa", wrapRows: false, wrapCols: false };
  for (const e of [0, 20, 45, 70, 90]) {
    const se = Math.sin((e * Math.PI) / 180);
    const ce = Math.cos((e * Math.PI) / 180);
    const w = layout(RECT22, 1, 0, e, 300);
    // the square's corners lie sqrt(2) from its middle: the ground spans 2 sqrt(2) s sin e at
    // azimuth 45, the tops 1 s cos e above it
    assert.equal(w.height, Math.ceil(w.s * (2 * Math.SQRT2 * se + ce) + 28));
    // the scene's top (oy - s (r sin e + h cos e)) is at the margin, its bottom (oy + s r sin e) inside
    close(w.oy - w.s * (Math.SQRT2 * se + ce), 14, "top");
    assert.ok(w.oy + w.s * Math.SQRT2 * se <= w.height - 14 + 1e-9);
    // turning keeps the height, and every drawn corner stays on the canvas at every azimuth
    for (const az of [0, 30, 45, 135, 250, 359]) {
      const t = layout(hex, 2, az, e, 400);
      assert.equal(t.height, layout(hex, 2, 0, e, 400).height);
      const sc = scene(hex, new Array(20).fill(2), t);
      for (const pts of [sc.top, sc.base]) {
        for (let i = 1; i < pts.length; i += 2) assert.ok(pts[i] >= 14 - 1e-6 && pts[i] <= t.height - 14 + 1e-6);
      }
    }
  }
  // with the heights: as tall as the prisms that are there reach, at every azimuth
  const mid = new Array(20).fill(0);
  mid[2 * 5 + 2] = 2; // one tall prism in the middle (row 2, col 2) of the 4 x 5 map
  for (const e of [10, 40, 70]) {
    const bound = layout(hex, 2, 0, e, 400);
    let top = Infinity;
    for (let az = 0; az < 360; az += 3) {
      const t = layout(hex, 2, az, e, 400, 14, mid);
      assert.equal(t.height, layout(hex, 2, 0, e, 400, 14, mid).height);
      assert.ok(t.height < bound.height, `${t.height} < ${bound.height}`);
      const sc = scene(hex, mid, t);
      for (const pts of [sc.top, sc.base]) {
        for (let i = 1; i < pts.length; i += 2) {
          assert.ok(pts[i] >= 14 - 1e-6 && pts[i] <= t.height - 14 + 1e-6);
          top = Math.min(top, pts[i]);
        }
      }
    }
    assert.ok(top < 14 + 0.05 * bound.s, `the top reaches the margin at some azimuth: ${top}`);
  }
  // seen from above the canvas is as tall as the map is wide; a low view of a flat map is a
  // strip, not a canvas tall enough for every elevation (an empty band above the relief)
  assert.equal(layout(RECT22, 1, 0, 90, 300).height, 300);
  const low = layout(RECT22, 0.2, 0, 10, 300);
  assert.ok(low.height < 0.5 * (low.s * Math.hypot(2 * Math.SQRT2, 0.2) + 28));
});

test("picking takes the nearest top face under the point", () => {
  const view: View = { s: 40, ox: 100, oy: 100, cx: 0.5, cy: 0.5, azimuth: 0, elevation: 60 };
  const sc = scene(RECT22, [0, 0, 0, 0], view);
  for (let k = 0; k < 4; k++) {
    const [x, y] = topCentre(sc, k);
    assert.equal(pickTop(sc, x, y), k);
  }
  assert.equal(pickTop(sc, -50, -50), -1);
  // a tall near prism (neuron 2, row 1) rises over the far one behind it (neuron 0): a point on
  // both top faces picks the near one
  const tall = scene(RECT22, [0, 0, 0.8, 0], view);
  const [x0, y0] = topCentre(tall, 0);
  assert.equal(pickTop(tall, x0, y0 + 2), 2);
});

test("keys: left/right turn (wrapping), up/+ and down/- tilt (clamped)", () => {
  assert.deepEqual(keyAngles("ArrowRight", 358, 40), [3, 40]);
  assert.deepEqual(keyAngles("ArrowLeft", 2, 40), [357, 40]);
  assert.deepEqual(keyAngles("+", 10, 88), [10, 90]);
  assert.deepEqual(keyAngles("ArrowDown", 10, 3), [10, 0]);
  assert.deepEqual(keyAngles("-", 10, 40, 15), [10, 25]);
  assert.equal(keyAngles("a", 0, 0), null);
});
