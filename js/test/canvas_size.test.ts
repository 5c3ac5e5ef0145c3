import assert from "node:assert/strict";
import { test } from "node:test";
import { backingSize, MAX_BACKING_PIXELS, MAX_BACKING_SIDE, scrollToShow } from "../src/canvas_size";

test("a canvas that fits keeps the screen's pixel ratio", () => {
  assert.deepEqual(backingSize(560, 500, 1), { ratio: 1, width: 560, height: 500 });
  assert.deepEqual(backingSize(1400, 1230, 2), { ratio: 2, width: 2800, height: 2460 });
  assert.deepEqual(backingSize(300.5, 200.25, 1.5), { ratio: 1.5, width: 451, height: 300 });
  // exactly at the cap: unchanged
  assert.deepEqual(backingSize(2048, 2048, 2), { ratio: 2, width: 4096, height: 4096 });
});

test("width=4000 on a 100 x 100 map at ratio 2 gets at most 4096 px a side, not 8000", () => {
  // 8000 x 8000 backing pixels (256 MB) blanked the canvas: the ratio drops to 4096 / 4000
  const b = backingSize(4000, 3490, 2);
  assert.ok(Math.abs(b.ratio - 4096 / 4000) < 1e-12, String(b.ratio));
  assert.equal(b.width, 4096);
  assert.equal(b.height, Math.round(3490 * 4096 / 4000));
  assert.ok(b.width * b.height <= MAX_BACKING_PIXELS);
});

test("a long thin canvas is capped on its long side; a big square one by its area", () => {
  const thin = backingSize(20000, 300, 1);
  assert.equal(thin.width, MAX_BACKING_SIDE);
  assert.ok(Math.abs(thin.ratio - MAX_BACKING_SIDE / 20000) < 1e-12);
  assert.equal(thin.height, Math.round(300 * MAX_BACKING_SIDE / 20000));
  // 4000 x 4000 at ratio 1 is 16.0M px: under both caps, kept
  assert.deepEqual(backingSize(4000, 4000, 1), { ratio: 1, width: 4000, height: 4000 });
  // 4096 x 4097 at ratio 1: the side cap takes the ratio below 1, the area then fits
  const sq = backingSize(4096, 4097, 1);
  assert.ok(sq.width <= MAX_BACKING_SIDE && sq.height <= MAX_BACKING_SIDE);
  assert.ok(sq.width * sq.height <= MAX_BACKING_PIXELS);
  assert.ok(sq.ratio < 1);
});

test("every size stays under both caps, with the ratio never above the screen's", () => {
  for (const w of [1, 7.5, 360, 1400, 4000, 4097, 9000, 50000]) {
    for (const h of [1, 3, 480, 1231, 4096, 12000]) {
      for (const dpr of [0.5, 1, 1.25, 2, 3]) {
        const b = backingSize(w, h, dpr);
        assert.ok(b.width >= 1 && b.height >= 1 && Number.isInteger(b.width) && Number.isInteger(b.height));
        assert.ok(b.width <= MAX_BACKING_SIDE && b.height <= MAX_BACKING_SIDE, `${w}x${h}@${dpr}`);
        assert.ok(b.width * b.height <= MAX_BACKING_PIXELS, `${w}x${h}@${dpr}`);
        assert.ok(b.ratio > 0 && b.ratio <= dpr);
        // the backing store covers the CSS size at the ratio, to the pixel
        assert.ok(Math.abs(b.width - w * b.ratio) <= 1 && Math.abs(b.height - h * b.ratio) <= 1, `${w}x${h}@${dpr}`);
      }
    }
  }
});

test("a ratio or size that is not a positive number counts as 1", () => {
  assert.deepEqual(backingSize(100, 50, NaN), { ratio: 1, width: 100, height: 50 });
  assert.deepEqual(backingSize(100, 50, 0), { ratio: 1, width: 100, height: 50 });
  assert.deepEqual(backingSize(0, -5, 2), { ratio: 2, width: 2, height: 2 });
});

// a box 560 px wide at client x 100 around a 1400 px canvas, scrolled by `at`
const box = (at: number) => ({
  scrollLeft: at, scrollWidth: 1400, clientWidth: 560, getBoundingClientRect: () => ({ left: 100 }),
});

test("the keyboard's neuron beyond the box's right edge scrolls it just into view", () => {
  const b = box(0);
  scrollToShow(b, 700, 728); // a 28 px cell whose right edge is 68 px past the box (100 + 560)
  assert.equal(b.scrollLeft, 68);
  const c = box(300);
  scrollToShow(c, 60, 88); // 40 px left of the box: scrolls back by 40
  assert.equal(c.scrollLeft, 260);
  const d = box(300);
  scrollToShow(d, 200, 228); // inside: unchanged
  assert.equal(d.scrollLeft, 300);
});

test("scrolling stops at the box's ends; a box that does not scroll is left alone", () => {
  const b = box(800);
  scrollToShow(b, 900, 928); // past the end: at most scrollWidth - clientWidth
  assert.equal(b.scrollLeft, 840);
  const c = box(20);
  scrollToShow(c, -500, -472);
  assert.equal(c.scrollLeft, 0);
  const fits = { scrollLeft: 0, scrollWidth: 500, clientWidth: 560, getBoundingClientRect: () => ({ left: 0 }) };
  scrollToShow(fits, 900, 950);
  assert.equal(fits.scrollLeft, 0);
  const wide = box(0);
  scrollToShow(wide, 700, 1400); // wider than the box: its left end shows
  assert.equal(wide.scrollLeft, 600);
});
