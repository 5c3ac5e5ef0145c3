// The ndarray codec, the TypeScript twin of somwidget/widgets/codecs.py. An array trait arrives
// as {dtype, shape, buffer}: ipywidgets puts the binary frame of the comm message back in place of
// the Python memoryview, as a DataView (often at a non-zero byteOffset into a larger buffer).
// Arrays are C-ordered and little-endian (the byte order of every browser).

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
} as const;

/** The wire dtype names (codecs.DTYPES in Python). */
export type DType = keyof typeof CTORS;

/** The typed array that holds each dtype. */
export type TypedArrayOf<D extends DType> = InstanceType<(typeof CTORS)[D]>;

/** An array trait as the model holds it (what codecs.array_to_json sends). */
export interface EncodedArray<D extends DType = DType> {
  dtype: D;
  shape: number[];
  buffer: DataView | ArrayBuffer | ArrayBufferView;
}

/** A decoded array: its elements in C order and its shape. */
export interface NDArray<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: TypedArrayOf<D>;
}

export const DTYPES = Object.keys(CTORS) as DType[];

function isDType(d: unknown): d is DType {
  return typeof d === "string" && Object.prototype.hasOwnProperty.call(CTORS, d);
}

/**
 * Decode an encoded array. The elements are viewed in place when the buffer is aligned for the
 * dtype, and copied when not (a typed array cannot start at a misaligned byteOffset).
 * null / undefined (a trait set to None) decode to null.
 */
export function decode<D extends DType>(enc: EncodedArray<D> | null | undefined): NDArray<D> | null {
  if (enc == null) return null;
  const { dtype, shape, buffer } = enc;
  if (!isDType(dtype)) throw new Error(`encoded array: dtype must be one of ${DTYPES.join(", ")}; got ${String(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new Error(`encoded array: shape must be a list of non-negative integers; got ${JSON.stringify(shape)}`);
  }
  const Ctor = CTORS[dtype];
  const size = shape.reduce((a, b) => a * b, 1);
  const nbytes = size * Ctor.BYTES_PER_ELEMENT;
  let buf: ArrayBuffer;
  let off: number;
  let len: number;
  if (buffer instanceof ArrayBuffer) {
    buf = buffer;
    off = 0;
    len = buffer.byteLength;
  } else if (buffer && ArrayBuffer.isView(buffer)) {
    buf = buffer.buffer as ArrayBuffer;
    off = buffer.byteOffset;
    len = buffer.byteLength;
  } else {
    throw new Error("encoded array: buffer must be a DataView, an ArrayBuffer or a typed array");
  }
  if (len !== nbytes) {
    throw new Error(`encoded array of shape [${shape.join(", ")}] and dtype ${dtype} needs ${nbytes} bytes; got ${len}`);
  }
  const data = off % Ctor.BYTES_PER_ELEMENT === 0
    ? new Ctor(buf, off, size)
    : new Ctor(new Uint8Array(buf, off, nbytes).slice().buffer);
  return { dtype, shape: shape.slice(), data: data as TypedArrayOf<D> };
}

/**
 * The elements of an encoded array of the given dtype (an empty array for null), e.g.
 * `decodeData(model.get("values"), "float32")`. Throws when the array has another dtype.
 */
export function decodeData<D extends DType>(enc: EncodedArray | null | undefined, dtype: D): TypedArrayOf<D> {
  const arr = decode(enc);
  if (arr === null) return new CTORS[dtype](0) as TypedArrayOf<D>;
  if (arr.dtype !== dtype) throw new Error(`encoded array: expected dtype ${dtype}; got ${arr.dtype}`);
  return arr.data as TypedArrayOf<D>;
}

/** Encode a typed array (the inverse of {@link decode}; shape defaults to 1-D). */
export function encode<D extends DType>(dtype: D, data: TypedArrayOf<D>, shape: number[] = [data.length]): EncodedArray<D> {
  if (!(data instanceof CTORS[dtype])) throw new Error(`encode: data must be a ${CTORS[dtype].name} for dtype ${dtype}`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`encode: shape [${shape.join(", ")}] needs ${size} elements; got ${data.length}`);
  return { dtype, shape: shape.slice(), buffer: new DataView(data.buffer, data.byteOffset, data.byteLength) };
}

/** A float array as the lattice views receive their values: float32, or float64 where float32
 * would colour them wrongly (Python's colormaps.wire_values). */
export type FloatArray = Float32Array | Float64Array;

/**
 * The elements of an encoded float32 or float64 array as they are (viewed in place); other
 * dtypes converted to a Float32Array. An empty Float32Array for null.
 */
export function decodeFloat(enc: EncodedArray | null | undefined): FloatArray {
  const arr = decode(enc);
  if (arr === null) return new Float32Array(0);
  if (arr.data instanceof Float32Array || arr.data instanceof Float64Array) return arr.data;
  return Float32Array.from(arr.data as ArrayLike<number>);
}

/**
 * The elements of an encoded array of any dtype as a Float32Array (viewed in place for float32,
 * converted otherwise): for traits whose sender picks the narrowest integer type (class codes,
 * counts). An empty array for null.
 */
export function decodeFloat32(enc: EncodedArray | null | undefined): Float32Array {
  const arr = decode(enc);
  if (arr === null) return new Float32Array(0);
  return arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data as ArrayLike<number>);
}
