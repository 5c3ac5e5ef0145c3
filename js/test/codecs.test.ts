import assert from "node:assert/strict";
import { test } from "node:test";
import { decode, decodeData, encode, type EncodedArray } from "../src/codecs";

/** Little-endian bytes of float32 values, written one by one (independent of the decoder). */
function f32Bytes(values: number[]): number[] {
  const out: number[] = [];
  const dv = new DataView(new ArrayBuffer(4));
  for (const v of values) {
    dv.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) out.push(dv.getUint8(i));
  }
  return out;
}

/** A DataView into a larger buffer at `offset`, as ipywidgets hands out binary frames. */
function viewAt(bytes: number[], offset: number): DataView {
  const buf = new ArrayBuffer(offset + bytes.length + 5);
  const all = new Uint8Array(buf);
  all.fill(0xee);
  all.set(bytes, offset);
  return new DataView(buf, offset, bytes.length);
}

test("float32 from a DataView at an aligned non-zero byteOffset: viewed in place", () => {
  const values = [1.5, -2, Number.NaN, 3.25, 1e-30, -0];
  const dv = viewAt(f32Bytes(values), 8);
  const arr = decode({ dtype: "float32", shape: [2, 3], buffer: dv })!;
  assert.equal(arr.dtype, "float32");
  assert.deepEqual(arr.shape, [2, 3]);
  assert.ok(arr.data instanceof Float32Array);
  assert.equal(arr.data.length, 6);
  assert.equal(arr.data.buffer, dv.buffer); // no copy
  assert.equal(arr.data.byteOffset, 8);
  assert.deepEqual([...arr.data], [1.5, -2, Number.NaN, 3.25, Math.fround(1e-30), -0]);
});

test("float32 from a DataView at a misaligned byteOffset: copied, same values", () => {
  const values = [0.1, 0.2, 0.7];
  const dv = viewAt(f32Bytes(values), 3);
  const data = decodeData({ dtype: "float32", shape: [3], buffer: dv }, "float32");
  assert.deepEqual([...data], values.map(Math.fround));
  assert.notEqual(data.buffer, dv.buffer);
});

test("int32, uint8 and float64 keep their dtype", () => {
  const i32 = new DataView(new ArrayBuffer(12));
  [-7, 0, 2147483647].forEach((v, i) => i32.setInt32(4 * i, v, true));
  const a = decode({ dtype: "int32", shape: [3], buffer: i32 })!;
  assert.ok(a.data instanceof Int32Array);
  assert.deepEqual([...a.data], [-7, 0, 2147483647]);

  const u8 = decode({ dtype: "uint8", shape: [2, 2], buffer: viewAt([1, 2, 254, 255], 1) })!;
  assert.ok(u8.data instanceof Uint8Array);
  assert.deepEqual([...u8.data], [1, 2, 254, 255]);

  const f64 = new DataView(new ArrayBuffer(16));
  f64.setFloat64(8, 0.1, true);
  const d = decode({ dtype: "float64", shape: [1], buffer: new DataView(f64.buffer, 8, 8) })!;
  assert.ok(d.data instanceof Float64Array);
  assert.equal(d.data[0], 0.1);
});

test("empty arrays and null decode to empty data", () => {
  const e = decode({ dtype: "float32", shape: [0, 20], buffer: new DataView(new ArrayBuffer(0)) })!;
  assert.equal(e.data.length, 0);
  assert.deepEqual(e.shape, [0, 20]);
  assert.equal(decode(null), null);
  assert.equal(decodeData(undefined, "float32").length, 0);
  assert.ok(decodeData(null, "float32") instanceof Float32Array);
});

test("bad input: wrong byte length, unknown dtype, unexpected dtype", () => {
  assert.throws(() => decode({ dtype: "float32", shape: [3], buffer: new DataView(new ArrayBuffer(8)) }),
    /needs 12 bytes; got 8/);
  assert.throws(() => decode({ dtype: "complex64", shape: [1], buffer: new ArrayBuffer(8) } as unknown as EncodedArray),
    /dtype must be one of/);
  assert.throws(() => decode({ dtype: "uint8", shape: [-1], buffer: new ArrayBuffer(0) }), /shape must be/);
  assert.throws(() => decodeData({ dtype: "int32", shape: [1], buffer: new ArrayBuffer(4) }, "float32"),
    /expected dtype float32; got int32/);
});

test("encode is the inverse of decode", () => {
  const src = new Float32Array([1, 2, 3, 4, 5, 6]).subarray(2);
  const enc = encode("float32", src, [2, 2]);
  assert.deepEqual(enc.shape, [2, 2]);
  assert.equal((enc.buffer as DataView).byteOffset, 8);
  assert.deepEqual([...decode(enc)!.data], [3, 4, 5, 6]);
  assert.throws(() => encode("float32", src, [3]), /needs 3 elements; got 4/);
});
