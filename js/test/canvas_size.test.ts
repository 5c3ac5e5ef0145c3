import assert from "node:assert/strict";
import { test } from "node:test";
import {
  backingSize, centreInset, fitPicture, fixedWidth, latticePad, MAX_BACKING_PIXELS, MAX_BACKING_SIDE, scrollToShow,
  scrollToShowY,
  watchPixelRatio,
} from "../src/canvas_size";

test("a canvas that fits keeps the screen's pixel ratio", () => {
  assert.deepEqual(backingSize(560, 500, 1), { ratio: 1, width: 560, height: 500 });
  assert.deepEqual(backingSize(1400, 1230, 2), { ratio: 2, width: 2800, height: 2460 });
  assert.deepEqual(backingSize(300.5, 200.25, 1.5), { ratio: 1.5, width: 451, height: 300 });
  // exactly at the cap: unchanged
  assert.deepEqual(backingSize(2048, 2048, 2), { ratio: 2, width: 4096, height: 4096 });
});

test("width=4000 on a 100 x 100 map at ratio 2 gets at most 4096² px in all, not 8000²", () => {
  // 8000 x 6980 backing pixels (223 MB) blanked the canvas: the ratio drops to what the area allows
  const b = backingSize(4000, 3490, 2);
  const r = Math.sqrt(MAX_BACKING_PIXELS / (4000 * 3490));
  assert.ok(Math.abs(b.ratio - r) < 1e-12, String(b.ratio));
  assert.equal(b.width, Math.round(4000 * r));
  assert.equal(b.height, Math.round(3490 * r));
  assert.ok(b.width * b.height <= MAX_BACKING_PIXELS);
});

test("a wide map keeps the screen's ratio up to 16,384 px a side (width=6000 on 60 columns)", () => {
  assert.equal(MAX_BACKING_SIDE, 16384);
  assert.deepEqual(backingSize(6000, 1000, 1), { ratio: 1, width: 6000, height: 1000 });
  assert.deepEqual(backingSize(6000, 1000, 1.25), { ratio: 1.25, width: 7500, height: 1250 });
  // at ratio 2 the area (24M px) passes the cap: the ratio is what 4096² px allow
  const b = backingSize(6000, 1000, 2);
  assert.ok(Math.abs(b.ratio - Math.sqrt(MAX_BACKING_PIXELS / 6e6)) < 1e-12);
});

test("a long thin canvas is capped on its long side; a big square one by its area", () => {
  const thin = backingSize(20000, 300, 1); // 6M px: within the area, past the side
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

test("the padding is wider on an axis whose edges wrap (room for the wrap marks)", () => {
  const lat = { rows: 4, cols: 5, shape: "rect" as const, wrapRows: false, wrapCols: true };
  assert.deepEqual(latticePad(lat), { px: 0.45, py: 0.06 });
  assert.deepEqual(latticePad({ ...lat, wrapCols: false }), { px: 0.06, py: 0.06 });
});

test("a fixed width is whole and positive, else 0 (fill the box)", () => {
  assert.equal(fixedWidth(undefined), 0);
  assert.equal(fixedWidth(0), 0);
  assert.equal(fixedWidth(-5), 0);
  assert.equal(fixedWidth(Number.NaN), 0);
  assert.equal(fixedWidth(Infinity), 0);
  assert.equal(fixedWidth(600.7), 600);
  assert.equal(fixedWidth(0.3), 1);
});

test("the inset is the nearer distance from the outermost centres to the bounds", () => {
  const b = { x0: -0.5, y0: -0.5, x1: 10, y1: 9.5 };
  // centres (0, 0) and (9, 9): 0.5 on the left, 1 on the right; 0.5 above and below
  assert.deepEqual(centreInset(b, new Float64Array([0, 0, 9, 9])), { x: 0.5, y: 0.5 });
  assert.deepEqual(centreInset(b, new Float64Array(0)), { x: 0.5, y: 0.5 });
  assert.deepEqual(centreInset({ x0: 0, y0: 0, x1: 4, y1: 4 }, new Float64Array([1, 1.5, 3, 2])), { x: 1, y: 1.5 });
});

test("the picture takes the largest scale that fits its cells, padding and margins", () => {
  // a 10 x 10 square map: bounds -0.5 .. 9.5, padding 0.06 => 10.12 plane units a side
  const b = { x0: -0.5, y0: -0.5, x1: 9.5, y1: 9.5 };
  const pad = { px: 0.06, py: 0.06 };
  const none = fitPicture(b, pad, 506, 1000, 2, () => [0, 0]);
  assert.ok(Math.abs(none.scale - 50) < 1e-9);
  assert.equal(none.width, 506);
  assert.equal(none.height, 506);
  assert.ok(Math.abs(none.ox - 28) < 1e-9); // (0.06 + 0.5) * 50
  // margins of 3 px across and 2 px down: the cells get 506 - 6 px across
  const m = fitPicture(b, pad, 506, 1000, 2, () => [3, 2]);
  assert.ok(Math.abs(m.scale - 500 / 10.12) < 1e-9);
  assert.equal(m.width, 506);
  assert.equal(m.height, 504);
  assert.ok(Math.abs(m.ox - (3 + 0.56 * 500 / 10.12)) < 1e-9);
  assert.ok(Math.abs(m.oy - (2 + 0.56 * 500 / 10.12)) < 1e-9);
  // the height caps it; a tiny box gets the smallest scale
  assert.ok(Math.abs(fitPicture(b, pad, 2000, 253, 2, () => [0, 0]).scale - 25) < 1e-9);
  assert.equal(fitPicture(b, pad, 10, 1000, 2, () => [0, 0]).scale, 2);
});

test("a box with a border (the focus ring's 2 px) shows its content from inside the border", () => {
  // left edge 100, border 2: the content shows from 102 to 102 + 560 = 662
  const b = { ...box(0), clientLeft: 2 };
  scrollToShow(b, 700, 728);
  assert.equal(b.scrollLeft, 728 - 662);
  const c = { ...box(300), clientLeft: 2 };
  scrollToShow(c, 101, 129); // 1 px under the left border: back by 1
  assert.equal(c.scrollLeft, 299);
});

/** A window whose devicePixelRatio the test sets, with media queries it fires by hand. */
function fakeWindow(dpr: number) {
  const lists: Array<{ query: string; listeners: Set<() => void> }> = [];
  const win = {
    devicePixelRatio: dpr,
    matchMedia(query: string) {
      const list = { query, listeners: new Set<() => void>() };
      lists.push(list);
      return {
        addEventListener: (_: "change", f: () => void) => { list.listeners.add(f); },
        removeEventListener: (_: "change", f: () => void) => { list.listeners.delete(f); },
      };
    },
  };
  /** the ratio becomes `to`: the queries that matched the old ratio fire their listeners */
  const change = (to: number) => {
    const old = `(resolution: ${win.devicePixelRatio}dppx)`;
    win.devicePixelRatio = to;
    for (const l of lists.filter((x) => x.query === old)) for (const f of [...l.listeners]) f();
  };
  const listening = () => lists.filter((l) => l.listeners.size > 0).map((l) => l.query);
  return { win, change, listening };
}

test("a new devicePixelRatio redraws once and watches the new ratio; disconnect stops it", () => {
  const { win, change, listening } = fakeWindow(1);
  let redraws = 0;
  const watch = watchPixelRatio(() => { redraws += 1; }, win);
  assert.ok(watch);
  assert.deepEqual(listening(), ["(resolution: 1dppx)"]);
  change(2);
  assert.equal(redraws, 1);
  assert.deepEqual(listening(), ["(resolution: 2dppx)"]); // the old query no longer listened to
  change(1.5);
  assert.equal(redraws, 2);
  assert.deepEqual(listening(), ["(resolution: 1.5dppx)"]);
  watch.disconnect();
  assert.deepEqual(listening(), []);
  change(3);
  assert.equal(redraws, 2);
});

test("no matchMedia (no browser): no watcher", () => {
  assert.equal(watchPixelRatio(() => undefined, { devicePixelRatio: 1 }), null);
  assert.equal(watchPixelRatio(() => undefined, undefined), null);
});

// a notebook panel 700 px tall at client y 50 around 3000 px of cells, scrolled by `at`
const panel = (at: number, top = 50) => ({
  scrollTop: at, scrollHeight: 3000, clientHeight: 700, getBoundingClientRect: () => ({ top }),
});

test("the keyboard's neuron below the panel's bottom scrolls it just into view, and back up", () => {
  const p = panel(0);
  scrollToShowY(p, 760, 800); // a 40 px cell 50 px below the panel's bottom (50 + 700)
  assert.equal(p.scrollTop, 50);
  const q = panel(400);
  scrollToShowY(q, 20, 60); // 30 px above its top: up by 30
  assert.equal(q.scrollTop, 370);
  const r = panel(100);
  scrollToShowY(r, 300, 340); // in view: stays
  assert.equal(r.scrollTop, 100);
});

test("a panel taller than the window shows the neuron inside the window's height", () => {
  const p = { scrollTop: 0, scrollHeight: 5000, clientHeight: 2000, getBoundingClientRect: () => ({ top: 0 }) };
  scrollToShowY(p, 950, 990, 900); // inside the panel, below the 900 px window: down by 90
  assert.equal(p.scrollTop, 90);
});

test("the vertical scroll stays within the panel's range; a panel that does not scroll is left", () => {
  const p = panel(2250);
  scrollToShowY(p, 900, 1200); // would need 450 more, only 50 are left
  assert.equal(p.scrollTop, 2300);
  const still = { scrollTop: 0, scrollHeight: 700, clientHeight: 700, getBoundingClientRect: () => ({ top: 0 }) };
  scrollToShowY(still, 900, 940);
  assert.equal(still.scrollTop, 0);
  // a range taller than the panel keeps its top in view
  const tall = panel(0);
  scrollToShowY(tall, 500, 1500);
  assert.equal(tall.scrollTop, 450);
});
