import assert from "node:assert/strict";
import { test } from "node:test";
import { EDGE_SCROLL_MAX, EDGE_SCROLL_PX, edgeScroll, latticeKey } from "../src/lattice_input";

// a 2 x 3 rectangular map: neuron k sits at row floor(k / 3), column k % 3
const lat = { rows: 2, cols: 3, shape: "rect" as const, wrapRows: false, wrapCols: false };

test("JupyterLab's and the browser's shortcuts pass: Ctrl / Cmd / Alt with any key", () => {
  for (const mod of [{ ctrlKey: true }, { metaKey: true }, { altKey: true }]) {
    for (const key of ["Enter", " ", "Escape", "ArrowRight", "a"]) {
      assert.deepEqual(latticeKey({ key, ...mod }, lat, [1], 1), { kind: "pass" }, `${key} ${JSON.stringify(mod)}`);
    }
  }
});

test("Shift+Enter (run the cell), Shift+Space and Shift+Escape pass; Shift+arrows still move", () => {
  for (const key of ["Enter", " ", "Spacebar", "Escape"]) {
    assert.deepEqual(latticeKey({ key, shiftKey: true }, lat, [1], 1), { kind: "pass" }, key);
  }
  assert.deepEqual(latticeKey({ key: "ArrowRight", shiftKey: true }, lat, [1], 1), { kind: "select", neuron: 2 });
});

test("the map's own keys: Escape clears, arrows move from the selection, Enter selects the first", () => {
  assert.deepEqual(latticeKey({ key: "Escape" }, lat, [4], 4), { kind: "clear" });
  assert.deepEqual(latticeKey({ key: "ArrowDown" }, lat, [1], 1), { kind: "select", neuron: 4 });
  assert.deepEqual(latticeKey({ key: "ArrowLeft" }, lat, [4], 4), { kind: "select", neuron: 3 });
  assert.deepEqual(latticeKey({ key: "Enter" }, lat, [], -1), { kind: "select", neuron: 0 });
  assert.deepEqual(latticeKey({ key: " " }, lat, [5], 5), { kind: "keep" });
  // keys the map has no use for, and any key before the map has a lattice, go on
  assert.deepEqual(latticeKey({ key: "a" }, lat, [1], 1), { kind: "pass" });
  assert.deepEqual(latticeKey({ key: "Enter" }, null, [], -1), { kind: "pass" });
});

test("a brush drag scrolls a box only near its edges, faster the closer, at most 24 px a frame", () => {
  // a box from client x 100 to 700: 32 px bands at either edge
  assert.equal(edgeScroll(400, 100, 700), 0);
  assert.equal(edgeScroll(668, 100, 700), 0); // the band's inner edge
  assert.equal(edgeScroll(684, 100, 700), 12); // half-way into the band
  assert.equal(edgeScroll(700, 100, 700), EDGE_SCROLL_MAX);
  assert.equal(edgeScroll(900, 100, 700), EDGE_SCROLL_MAX); // past the edge: full speed
  assert.equal(edgeScroll(116, 100, 700), -12);
  assert.equal(edgeScroll(20, 100, 700), -EDGE_SCROLL_MAX);
  // a box 80 px tall: bands of 20 px, so its middle still does not scroll
  assert.equal(edgeScroll(40, 0, 80), 0);
  assert.equal(edgeScroll(70, 0, 80), 12);
  assert.equal(edgeScroll(5, 5, 5), 0); // an empty box
  assert.ok(EDGE_SCROLL_PX === 32);
});
