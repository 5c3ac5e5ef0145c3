import assert from "node:assert/strict";
import { test } from "node:test";
import {
  extent, focusKey, keyAngles, layout, PAGE_STEP, pickPrism, project, scene, screenNeighbour, shade, topCentre, visiblePoint, type View,
} from "../src/elevation_scene";
import { centre, type Direction, type Lattice } from "../src/geometry";

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
    assert.equal(pickPrism(sc, x, y), k);
  }
  assert.equal(pickPrism(sc, -50, -50), -1);
  // a tall near prism (neuron 2, row 1) rises over the far one behind it (neuron 0): a point on
  // both top faces picks the near one
  const tall = scene(RECT22, [0, 0, 0.8, 0], view);
  const [x0, y0] = topCentre(tall, 0);
  assert.equal(pickPrism(tall, x0, y0 + 2), 2);
});

test("picking takes what is drawn on top: a tall near prism's side face hides the far prism's top", () => {
  // a 2 x 1 map: neuron 0 at (0, 0) (far at azimuth 0), neuron 1 at (0, 1) (near); middle (0, 0.5)
  const rect21: Lattice = { rows: 2, cols: 1, shape: "rect", wrapRows: false, wrapCols: false };
  const se = Math.sin((20 * Math.PI) / 180);
  const ce = Math.cos((20 * Math.PI) / 180);
  const view: View = { s: 40, ox: 100, oy: 100, cx: 0, cy: 0.5, azimuth: 0, elevation: 20 };
  const sc = scene(rect21, [0.1, 3], view);
  // neuron 0's top centre by hand: X_r = 0, Y_r = -0.5, z = 0.1
  const x0 = 100, y0 = 100 + 40 * (-0.5 * se - 0.1 * ce);
  // neuron 1's front face (the edge y = 1.5: Y_r = 1) spans x 80..120 and y from its top
  // 100 + 40 (se - 3 ce) to its base 100 + 40 se: it covers that point
  assert.ok(y0 > 100 + 40 * (se - 3 * ce) && y0 < 100 + 40 * se);
  assert.equal(pickPrism(sc, x0, y0), 1);
  // a point only on the front face, below every top face, still names neuron 1
  assert.equal(pickPrism(sc, 100, 100 + 40 * se - 1), 1);
  // a point on no drawn face: nothing
  assert.equal(pickPrism(sc, 100, 100 + 40 * se + 1), -1);
});

test("visiblePoint: a point where the neuron is drawn on top, its top face's visible part first", () => {
  const rect21: Lattice = { rows: 2, cols: 1, shape: "rect", wrapRows: false, wrapCols: false };
  const se = Math.sin((60 * Math.PI) / 180);
  const ce = Math.cos((60 * Math.PI) / 180);
  const view: View = { s: 40, ox: 100, oy: 100, cx: 0, cy: 0.5, azimuth: 0, elevation: 60 };
  const sc = scene(rect21, [0.1, 1], view);
  // neuron 0's top face spans y from 100 + 40 (-se - 0.1 ce) to 100 + 40 (-0.1 ce); neuron 1's
  // top face (z = 1, Y_r 0..1) starts at 100 + 40 (-ce) = 80 and covers neuron 0's top centre
  const hidden = 100 + 40 * -ce;
  const [, cy0] = topCentre(sc, 0);
  assert.ok(cy0 > hidden, "the top centre is hidden");
  const [x, y] = visiblePoint(sc, 0);
  assert.ok(x > 80 && x < 120, `x ${x}`);
  assert.ok(y > 100 + 40 * (-se - 0.1 * ce) && y < hidden, `y ${y} on neuron 0's visible strip`);
  assert.equal(pickPrism(sc, x, y), 0);
  // a neuron whose top centre shows: the top centre itself
  assert.deepEqual(visiblePoint(sc, 1), topCentre(sc, 1));
  // a neuron hidden whole (behind a tall prism at 20 degrees): its top centre (documented)
  const low = scene(rect21, [0.1, 3], { ...view, elevation: 20 });
  assert.deepEqual(visiblePoint(low, 0), topCentre(low, 0));
});

test("keys: left/right turn (wrapping), PageUp/PageDown turn by 15, up/+ and down/- tilt (clamped)", () => {
  assert.deepEqual(keyAngles("ArrowRight", 358, 40), [3, 40]);
  assert.deepEqual(keyAngles("ArrowLeft", 2, 40), [357, 40]);
  assert.deepEqual(keyAngles("+", 10, 88), [10, 90]);
  assert.deepEqual(keyAngles("=", 10, 40), [10, 45]);
  assert.deepEqual(keyAngles("ArrowDown", 10, 3), [10, 0]);
  assert.deepEqual(keyAngles("-", 10, 40), [10, 35]);
  assert.deepEqual(keyAngles("_", 10, 40), [10, 35]);
  assert.equal(PAGE_STEP, 15);
  assert.deepEqual(keyAngles("PageDown", 350, 40), [5, 40]);
  assert.deepEqual(keyAngles("PageUp", 10, 40), [355, 40]);
  assert.equal(keyAngles("a", 0, 0), null);
  assert.equal(keyAngles("Enter", 0, 0), null);
});

const DIRS: Direction[] = ["up", "right", "down", "left"];
const moves = (lat: Lattice, k: number, az: number) => Object.fromEntries(DIRS.map((d) => [d, screenNeighbour(lat, k, d, az)]));

test("focus moves to the neighbour in the screen direction: 2x2 and 3x3 squares at 0, 90, 180 and 45 degrees, by hand", () => {
  // centres 0 (0,0), 1 (1,0), 2 (0,1), 3 (1,1); offsets turned by a: X_r = u cos a - v sin a, Y_r = u sin a + v cos a
  // azimuth 0: 1 right of 0, 2 below it; nothing left of or above 0 (the edge: it stays)
  assert.deepEqual(moves(RECT22, 0, 0), { up: 0, right: 1, down: 2, left: 0 });
  assert.deepEqual(moves(RECT22, 3, 0), { up: 1, right: 3, down: 3, left: 2 });
  // azimuth 90: X_r = -v, Y_r = u: 1's offset (1, 0) -> (0, 1), below; 2's (0, 1) -> (-1, 0), left
  assert.deepEqual(moves(RECT22, 0, 90), { up: 0, right: 0, down: 1, left: 2 });
  // azimuth 180: offsets reversed: 1 left of 0, 2 above it
  assert.deepEqual(moves(RECT22, 0, 180), { up: 2, right: 0, down: 0, left: 1 });
  // azimuth 45, the 3x3 square's middle (4): 1 (0,-1) -> (.71, -.71) up-right, 5 (1,0) -> (.71, .71)
  // down-right, 7 -> down-left, 3 -> up-left; each direction is 45 degrees from two of them and
  // takes the one clockwise of it on the screen, so the four keys reach all four
  const rect33: Lattice = { rows: 3, cols: 3, shape: "rect", wrapRows: false, wrapCols: false };
  assert.deepEqual(moves(rect33, 4, 45), { up: 1, right: 5, down: 7, left: 3 });
  // the corner 0 at 45 degrees: 1 down-right, 3 down-left
  assert.deepEqual(moves(rect33, 0, 45), { up: 0, right: 1, down: 3, left: 3 });
});

test("focus moves on a 3x2 hexagonal lattice at azimuth 0 and 30, by hand", () => {
  // centres: 0 (0,0) 1 (1,0) / 2 (.5,.87) 3 (1.5,.87) / 4 (0,1.73) 5 (1,1.73); neuron 2's
  // neighbours 0 up-left, 1 up-right, 3 right, 5 down-right, 4 down-left, none left
  const hex32: Lattice = { rows: 3, cols: 2, shape: "hexa", wrapRows: false, wrapCols: false };
  // azimuth 0: up ties 0 and 1 (30 degrees each): 1, clockwise of up; down: 4; nothing within
  // 60 degrees of left (0 and 4 are at 60): it stays
  assert.deepEqual(moves(hex32, 2, 0), { up: 1, right: 3, down: 4, left: 2 });
  // azimuth 30: 0's offset (-.5, -.87) -> (0, -1) straight up, 5's (.5, .87) -> (0, 1) straight
  // down, 4's -> (-.87, .5) left, 3's -> (.87, .5) and 1's -> (.87, -.5) both 30 degrees off
  // right: 3, clockwise of right
  assert.deepEqual(moves(hex32, 2, 30), { up: 0, right: 3, down: 5, left: 4 });
  // wrap-around is not followed: neuron 0 of a toroidal map stays at the left edge at azimuth 0
  assert.equal(screenNeighbour({ ...hex32, wrapRows: true, wrapCols: true }, 0, "left", 0), 0);
});

test("a focus move goes the key's way on the drawn relief at every angle", () => {
  const hex: Lattice = { rows: 5, cols: 6, shape: "hexa", wrapRows: false, wrapCols: false };
  const want: Record<Direction, [number, number]> = { up: [0, -1], right: [1, 0], down: [0, 1], left: [-1, 0] };
  for (const lat of [hex, { ...hex, shape: "rect" as const }]) {
    for (const az of [0, 17, 45, 90, 133, 200, 300]) {
      for (const elev of [10, 40, 90]) {
        const v = layout(lat, 2, az, elev, 400);
        for (const d of DIRS) {
          const n = screenNeighbour(lat, 14, d, az);
          assert.notEqual(n, 14, `${lat.shape} az ${az} ${d}: the middle neuron has a neighbour every way`);
          const [x0, y0] = project(v, ...centre(lat, 14), 0);
          const [x1, y1] = project(v, ...centre(lat, n), 0);
          const [dx, dy] = want[d];
          // on the screen: along the key's axis (the ground foreshortens up/down by sin e)
          assert.ok(dx ? (x1 - x0) * dx > 0 : (y1 - y0) * dy > 0, `${lat.shape} az ${az} el ${elev} ${d} -> ${n}`);
        }
      }
    }
  }
});

test("focus keys: Shift+arrows move, Home / End jump, plain arrows and other keys do not move it", () => {
  const rect33: Lattice = { rows: 3, cols: 3, shape: "rect", wrapRows: false, wrapCols: false };
  assert.equal(focusKey(rect33, 4, "ArrowRight", true, 0), 5);
  assert.equal(focusKey(rect33, 4, "ArrowRight", false, 0), null); // turns the relief instead
  assert.equal(focusKey(rect33, -1, "ArrowDown", true, 0), 3); // none yet: from neuron 0
  assert.equal(focusKey(rect33, 4, "Home", false, 0), 0);
  assert.equal(focusKey(rect33, 4, "End", true, 0), 8);
  assert.equal(focusKey(rect33, 4, "Enter", false, 0), null);
  assert.equal(focusKey({ ...rect33, rows: 0 }, -1, "Home", false, 0), null);
});
