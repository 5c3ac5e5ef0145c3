import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFloat32, encode } from "../src/codecs";
import { describeNeuron, sizesFromValues } from "../src/common";

const lat = { rows: 1, cols: 3, shape: "rect" as const, wrapRows: false, wrapCols: false };

test("decodeFloat32 widens integer arrays and views float32 in place", () => {
  const ints = decodeFloat32(encode("int8", new Int8Array([-1, 0, 2])));
  assert.deepEqual(Array.from(ints), [-1, 0, 2]);
  const f = new Float32Array([0.5, 1.5]);
  assert.equal(decodeFloat32(encode("float32", f)).buffer, f.buffer);
  assert.equal(decodeFloat32(null).length, 0);
});

test("sizes derived from values / vmax, NaN as no marker", () => {
  assert.deepEqual(Array.from(sizesFromValues(new Float32Array([0, 2, 4, NaN]), 4)), [0, 0.5, 1, 0]);
});

test("tooltip rows: categories read from the frame's categories, shares divided by the hits", () => {
  const fields = [
    { name: "hits", format: "int" as const, source: "values" as const },
    { name: "majority label", format: "category" as const, source: "categories" as const },
    { name: "majority share", format: "percent" as const, divide_by: "values" as const },
  ];
  const values = new Float32Array([4, 0, 8]);
  const cats = new Float32Array([1, -1, 0]);
  const rows = new Float32Array([3, 0, 2]); // majority counts
  assert.deepEqual(describeNeuron(0, lat, fields, rows, ["a", "b"], values, cats).slice(2),
    ["hits: 4", "majority label: b", "majority share: 75.0%"]);
  assert.deepEqual(describeNeuron(1, lat, fields, rows, ["a", "b"], values, cats).slice(2),
    ["hits: 0", "majority label: —", "majority share: —"]);
  assert.deepEqual(describeNeuron(2, lat, fields, rows, ["a", "b"], values, cats).slice(2),
    ["hits: 8", "majority label: a", "majority share: 25.0%"]);
});
