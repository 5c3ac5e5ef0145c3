import assert from "node:assert/strict";
import { test } from "node:test";
import {
  boundarySegments, bounds, brush, brushDrag, cellVertices, centre, HEX_RADIUS, insideCell, keyAction, keyAnchor, type Lattice,
  neighbourAcross, nNeurons, pick, step,
} from "../src/geometry";

const lat = (rows: number, cols: number, shape: "hexa" | "rect", wrap = false): Lattice =>
  ({ rows, cols, shape, wrapRows: wrap, wrapCols: wrap });

// a small deterministic PRNG so failures are reproducible
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function neighbourCount(l: Lattice, k: number, d: number): number {
  const [x, y] = centre(l, k);
  let n = 0;
  for (let j = 0; j < l.rows * l.cols; j++) {
    if (j === k) continue;
    const [a, b] = centre(l, j);
    if (Math.abs(Math.hypot(a - x, b - y) - d) < 1e-9) n++;
  }
  return n;
}

test("hex centres follow the odd-rows-right convention", () => {
  const l = lat(4, 5, "hexa");
  assert.deepEqual(centre(l, 0), [0, 0]);
  const [x, y] = centre(l, 1 * 5 + 2); // row 1, col 2
  assert.equal(x, 2.5);
  assert.ok(Math.abs(y - Math.sqrt(3) / 2) < 1e-12);
  assert.deepEqual(centre(l, 2 * 5 + 3), [3, 2 * Math.sqrt(3) / 2]);
});

test("interior hex units have 6 neighbours at distance exactly 1, rect units 4", () => {
  const h = lat(6, 7, "hexa");
  const r = lat(6, 7, "rect");
  for (const row of [1, 2, 3, 4]) {
    for (const col of [1, 3, 5]) {
      assert.equal(neighbourCount(h, row * 7 + col, 1), 6);
      assert.equal(neighbourCount(r, row * 7 + col, 1), 4);
    }
  }
});

test("hexagon vertices: circumradius 1/sqrt(3), pointy top, width 1 (cells tile the lattice)", () => {
  const v = cellVertices("hexa");
  assert.equal(v.length, 6);
  for (const [x, y] of v) assert.ok(Math.abs(Math.hypot(x, y) - HEX_RADIUS) < 1e-12);
  assert.ok(Math.abs(v[0][0]) < 1e-12 && Math.abs(v[0][1] + HEX_RADIUS) < 1e-12); // top vertex
  const xs = v.map((p) => p[0]);
  assert.ok(Math.abs(Math.max(...xs) - Math.min(...xs) - 1) < 1e-12);
});

function bruteNearest(l: Lattice, x: number, y: number): { k: number; d: number } {
  let best = -1;
  let bd = Infinity;
  for (let k = 0; k < l.rows * l.cols; k++) {
    const [a, b] = centre(l, k);
    const d = Math.hypot(a - x, b - y);
    if (d < bd) { bd = d; best = k; }
  }
  return { k: best, d: bd };
}

for (const shape of ["hexa", "rect"] as const) {
  test(`hit testing (${shape}) agrees with brute-force nearest centre on random points`, () => {
    const l = lat(9, 11, shape);
    const b = bounds(l);
    const rand = rng(shape === "hexa" ? 1 : 2);
    let inside = 0;
    for (let i = 0; i < 20000; i++) {
      const x = b.x0 - 0.6 + rand() * (b.x1 - b.x0 + 1.2);
      const y = b.y0 - 0.6 + rand() * (b.y1 - b.y0 + 1.2);
      const k = pick(l, x, y);
      const near = bruteNearest(l, x, y);
      const [cx, cy] = centre(l, near.k);
      const inCell = insideCell(shape, x - cx, y - cy);
      if (k >= 0) {
        inside++;
        // the picked cell is the nearest centre (ties only exactly on a border)
        const [px, py] = centre(l, k);
        assert.ok(Math.abs(Math.hypot(px - x, py - y) - near.d) < 1e-9, `point ${x},${y}: ${k} vs ${near.k}`);
      } else {
        assert.ok(!inCell, `point ${x},${y} inside cell ${near.k} but picked nothing`);
      }
      // inside the inscribed circle of the nearest cell: must always be picked
      if (near.d < 0.5 - 1e-9) assert.equal(k, near.k);
    }
    assert.ok(inside > 10000);
  });
}

test("hit testing is correct right next to hexagon borders", () => {
  const l = lat(5, 5, "hexa");
  const [ax, ay] = centre(l, 1 * 5 + 1); // row 1, col 1 at (1.5, 0.866)
  const [bx, by] = centre(l, 1 * 5 + 2); // its right neighbour
  const mx = (ax + bx) / 2;
  assert.equal(pick(l, mx - 1e-6, ay), 6);
  assert.equal(pick(l, mx + 1e-6, by), 7);
  // across the slanted border to the row above (row 0, col 2 at (2, 0))
  const [cx, cy] = centre(l, 2);
  const t = 0.5;
  const px = ax + t * (cx - ax);
  const py = ay + t * (cy - ay);
  const nx = (cx - ax);
  const ny = (cy - ay);
  assert.equal(pick(l, px - 1e-6 * nx, py - 1e-6 * ny), 6);
  assert.equal(pick(l, px + 1e-6 * nx, py + 1e-6 * ny), 2);
});

test("brush selects the neurons whose centres fall in the rectangle", () => {
  for (const shape of ["hexa", "rect"] as const) {
    const l = lat(8, 9, shape);
    const rand = rng(7);
    for (let i = 0; i < 200; i++) {
      const xa = -1 + rand() * 11;
      const xb = -1 + rand() * 11;
      const ya = -1 + rand() * 9;
      const yb = -1 + rand() * 9;
      const got = brush(l, xa, ya, xb, yb).sort((a, b) => a - b);
      const want: number[] = [];
      for (let k = 0; k < 72; k++) {
        const [x, y] = centre(l, k);
        if (x >= Math.min(xa, xb) && x <= Math.max(xa, xb) && y >= Math.min(ya, yb) && y <= Math.max(ya, yb)) want.push(k);
      }
      assert.deepEqual(got, want);
    }
  }
});

/** Brute force: the neurons whose centres lie in the box spanned by two centres (inclusive). */
function betweenCentres(l: Lattice, a: number, b: number): number[] {
  const [xa, ya] = centre(l, a);
  const [xb, yb] = centre(l, b);
  const out: number[] = [];
  for (let k = 0; k < nNeurons(l); k++) {
    const [x, y] = centre(l, k);
    if (x >= Math.min(xa, xb) - 1e-12 && x <= Math.max(xa, xb) + 1e-12 &&
      y >= Math.min(ya, yb) - 1e-12 && y <= Math.max(ya, yb) + 1e-12) out.push(k);
  }
  return out;
}

test("a drag from one neuron to another brushes both end neurons, wherever in their cells", () => {
  // the browser case: 12 x 10 hex map, neuron 0's centre to neuron 25's (row 2, col 5), the
  // pointer a rounding error inside the rectangle spanned by the two centres
  const l = lat(12, 10, "hexa");
  const [x0, y0] = centre(l, 0);
  const [x1, y1] = centre(l, 25);
  const want = betweenCentres(l, 0, 25);
  assert.equal(want.length, 17);
  assert.ok(want.includes(0) && want.includes(25));
  assert.notDeepEqual(brush(l, x0 + 0.01, y0 + 0.01, x1 - 0.01, y1 - 0.01), want); // the defect
  assert.deepEqual(brushDrag(l, x0 + 0.01, y0 + 0.01, x1 - 0.01, y1 - 0.01), want);
  assert.deepEqual(brushDrag(l, x1 - 0.01, y1 - 0.01, x0 + 0.01, y0 + 0.01), want); // backwards
  // random points inside the two cells, both shapes: the box of the two neurons' centres, at least
  for (const shape of ["hexa", "rect"] as const) {
    const g = lat(7, 8, shape);
    const rand = rng(11);
    for (let i = 0; i < 300; i++) {
      const a = Math.floor(rand() * 56);
      const b = Math.floor(rand() * 56);
      const [ax, ay] = centre(g, a);
      const [bx, by] = centre(g, b);
      const pa: [number, number] = [ax + (rand() - 0.5) * 0.5, ay + (rand() - 0.5) * 0.5];
      const pb: [number, number] = [bx + (rand() - 0.5) * 0.5, by + (rand() - 0.5) * 0.5];
      assert.equal(pick(g, ...pa), a);
      assert.equal(pick(g, ...pb), b);
      const got = brushDrag(g, pa[0], pa[1], pb[0], pb[1]);
      const box = new Set(betweenCentres(g, a, b));
      // everything between the two centres, both ends included, and only centres in the box
      // spanned by the points and the centres
      for (const k of box) assert.ok(got.includes(k), `${a} -> ${b}: ${k} missing`);
      const xs = [pa[0], pb[0], ax, bx];
      const ys = [pa[1], pb[1], ay, by];
      for (const k of got) {
        const [x, y] = centre(g, k);
        assert.ok(x >= Math.min(...xs) - 1e-9 && x <= Math.max(...xs) + 1e-9);
        assert.ok(y >= Math.min(...ys) - 1e-9 && y <= Math.max(...ys) + 1e-9);
      }
    }
  }
  // a drag starting outside the map keeps its own corner
  const r = lat(4, 5, "rect");
  assert.deepEqual(brushDrag(r, -3, -3, 1, 1), [0, 1, 5, 6]);
});

test("keyboard: nothing selected starts at neuron 0; arrows move from the cursor or the lowest selected", () => {
  const l = lat(12, 10, "hexa");
  for (const key of ["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "Enter", " "]) {
    assert.deepEqual(keyAction(l, [], -1, key), { kind: "select", neuron: 0 }, key);
  }
  // one neuron selected: its neighbour
  assert.deepEqual(keyAction(l, [25], -1, "ArrowRight"), { kind: "select", neuron: 26 });
  assert.deepEqual(keyAction(l, [25], 25, "ArrowDown"), { kind: "select", neuron: 35 });
  // several: from the lowest-index selected neuron, unless the cursor (last moved to) is in it
  assert.equal(keyAnchor(l, [40, 12, 33], -1), 12);
  assert.deepEqual(keyAction(l, [40, 12, 33], -1, "ArrowRight"), { kind: "select", neuron: 13 });
  assert.deepEqual(keyAction(l, [12, 33, 40], 33, "ArrowLeft"), { kind: "select", neuron: 32 });
  assert.deepEqual(keyAction(l, [12, 33, 40], 7, "ArrowLeft"), { kind: "select", neuron: 11 });
  // Enter / Space on a selection keep it; other keys are not the map's
  assert.deepEqual(keyAction(l, [12, 33], -1, "Enter"), { kind: "keep" });
  assert.deepEqual(keyAction(l, [12], 12, " "), { kind: "keep" });
  for (const key of ["a", "Tab", "Escape", "constructor", "toString"]) assert.equal(keyAction(l, [12], 12, key), null);
  // neurons off the map are ignored; an empty map takes no keys
  assert.deepEqual(keyAction(l, [-1, 500], -1, "ArrowRight"), { kind: "select", neuron: 0 });
  assert.equal(keyAction(lat(0, 0, "rect"), [], -1, "Enter"), null);
});

test("arrow-key steps move to a lattice neighbour, wrap on wrapped axes, stop at edges", () => {
  const h = lat(6, 6, "hexa");
  for (const k of [7, 8, 14, 15, 20]) {
    for (const dir of ["left", "right", "up", "down"] as const) {
      const j = step(h, k, dir);
      const [a, b] = centre(h, k);
      const [c, d] = centre(h, j);
      assert.ok(Math.abs(Math.hypot(a - c, b - d) - 1) < 1e-9, `${k} ${dir} -> ${j}`);
    }
  }
  const flat = lat(4, 5, "rect");
  assert.equal(step(flat, 0, "left"), 0);
  assert.equal(step(flat, 0, "up"), 0);
  const torus = lat(4, 5, "rect", true);
  assert.equal(step(torus, 0, "left"), 4);
  assert.equal(step(torus, 0, "up"), 15);
});

test("neighbourAcross: the cell across each edge is the centre mirrored through the edge's midpoint", () => {
  for (const shape of ["hexa", "rect"] as const) {
    const l = lat(5, 6, shape);
    const v = cellVertices(shape);
    for (let k = 0; k < 30; k++) {
      const [cx, cy] = centre(l, k);
      for (let e = 0; e < v.length; e++) {
        const mx = (v[e][0] + v[(e + 1) % v.length][0]) / 2;
        const my = (v[e][1] + v[(e + 1) % v.length][1]) / 2;
        const tx = cx + 2 * mx;
        const ty = cy + 2 * my;
        let expected = -1;
        for (let j = 0; j < 30; j++) {
          const [x, y] = centre(l, j);
          if (Math.hypot(x - tx, y - ty) < 1e-6) expected = j;
        }
        assert.equal(neighbourAcross(l, k, e), expected, `${shape} k=${k} e=${e}`);
      }
    }
  }
});

test("boundarySegments: one cell is its whole outline, a full map only its border", () => {
  for (const shape of ["hexa", "rect"] as const) {
    const l = lat(4, 7, shape);
    const nv = cellVertices(shape).length;
    assert.equal(boundarySegments(l, [9]).length, 4 * nv);
    const all = Array.from({ length: 28 }, (_, i) => i);
    const segs = boundarySegments(l, all);
    // every border segment has both ends on the map's outer ring of vertices: count them
    // independently as the edges whose neighbour is missing
    let border = 0;
    for (let k = 0; k < 28; k++) for (let e = 0; e < nv; e++) if (neighbourAcross(l, k, e) < 0) border++;
    assert.equal(segs.length, 4 * border);
  }
  // rect: a 2 x 2 block has 8 outer edges, a full 4 x 7 map 2 * (4 + 7)
  const r = lat(4, 7, "rect");
  assert.equal(boundarySegments(r, [0, 1, 7, 8]).length / 4, 8);
  assert.equal(boundarySegments(r, Array.from({ length: 28 }, (_, i) => i)).length / 4, 22);
  // out-of-range and duplicate neurons are ignored
  assert.equal(boundarySegments(r, [0, 0, -1, 99]).length / 4, 4);
});
