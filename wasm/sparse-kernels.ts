// AssemblyScript source of the WebAssembly SIMD kernels of the sparse side (src/sparse/simd/). Compiled by
// `npm run build:kernels` (scripts/build-kernels.ts) into src/sparse/simd/kernels-wasm.ts; a test compiles it
// again and checks the two agree. Not TypeScript: tsc never sees this folder.
//
// Each kernel does exactly the arithmetic of its JavaScript twin (src/sparse/gather.ts, lazy-adam.ts,
// adagrad.ts, row-gradients.ts, wide.ts): float32 operations in the same order, four elements at a time in
// f32x4 lanes and a scalar tail for the rest of a row, where the JavaScript rounds every operation to float32
// (Math.fround). Float32 addition, multiplication, division and square root are correctly rounded in both, so
// the results are the same bit for bit. Pointers and lengths are in bytes and elements of the module's one
// (imported, shared) memory.

let sink: f32 = 0;

/** Reads one float of every 64-byte line of the rows ids[lo..hi) (software prefetch: the misses overlap). */
@inline function touch(data: usize, ids: usize, lo: i32, hi: i32, stride: usize, span: usize): void {
  let s: f32 = 0;
  for (let i = lo; i < hi; i++) {
    const base = data + <usize>load<i32>(ids + (<usize>i << 2)) * stride;
    for (let k: usize = 0; k < span; k += 64) s += load<f32>(base + k);
  }
  sink += s;
}

/**
 * One-id bags: row ids[b] (dim floats at stride floats) into out[b * width + col ..]; a dim-1 row's value plus
 * 0, as bagOfScalars' float32 running sum from 0 gives it (-0 comes out +0). Returns -1, or the first b whose
 * id is outside [0, numRows) (rows before it are written, as the JavaScript loop leaves them).
 */
export function gatherOne(data: usize, stride: i32, dim: i32, numRows: i32, ids: usize, n: i32, out: usize, width: i32, col: i32): i32 {
  const strideB = <usize>stride << 2;
  const rowB = <usize>dim << 2;
  const vecB = rowB & ~(<usize>15);
  for (let b = 0; b < n; b++) {
    if ((b & 15) == 0) touch(data, ids, b, min(n, b + 16), strideB, rowB);
    const id = load<i32>(ids + (<usize>b << 2));
    if (<u32>id >= <u32>numRows) return b;
    const src = data + <usize>id * strideB;
    const dst = out + ((<usize>b * <usize>width + <usize>col) << 2);
    if (dim == 1) {
      store<f32>(dst, load<f32>(src) + 0);
      continue;
    }
    let k: usize = 0;
    for (; k < vecB; k += 16) v128.store(dst + k, v128.load(src + k));
    for (; k < rowB; k += 4) store<i32>(dst + k, load<i32>(src + k));
  }
  return -1;
}

/** Lazy Adam over rows [w | m | v] (lazy-adam.ts): rows[0..count) with grads [count, dim]. */
export function lazyAdam(data: usize, dim: i32, rows: usize, count: i32, grads: usize,
  beta1: f32, beta2: f32, c1: f32, c2: f32, eps: f32, wd: f32, stepSize: f32, invSqrtBc2: f32): void {
  const b1 = f32x4.splat(beta1), b2 = f32x4.splat(beta2), k1 = f32x4.splat(c1), k2 = f32x4.splat(c2);
  const ep = f32x4.splat(eps), wdv = f32x4.splat(wd), ss = f32x4.splat(stepSize), ib = f32x4.splat(invSqrtBc2);
  const rowB = <usize>dim << 2;
  const strideB = <usize>3 * rowB;
  const vecB = rowB & ~(<usize>15);
  for (let i = 0; i < count; i++) {
    if ((i & 15) == 0) touch(data, rows, i, min(count, i + 16), strideB, strideB);
    const w0 = data + <usize>load<i32>(rows + (<usize>i << 2)) * strideB;
    const g0 = grads + <usize>i * rowB;
    let k: usize = 0;
    for (; k < vecB; k += 16) {
      const wp = w0 + k, mp = wp + rowB, vp = mp + rowB;
      const w = v128.load(wp);
      const g = f32x4.add(v128.load(g0 + k), f32x4.mul(wdv, w));
      const m = f32x4.add(f32x4.mul(b1, v128.load(mp)), f32x4.mul(k1, g));
      const v = f32x4.add(f32x4.mul(b2, v128.load(vp)), f32x4.mul(f32x4.mul(k2, g), g));
      v128.store(mp, m);
      v128.store(vp, v);
      v128.store(wp, f32x4.sub(w, f32x4.div(f32x4.mul(ss, m), f32x4.add(f32x4.mul(f32x4.sqrt(v), ib), ep))));
    }
    for (; k < rowB; k += 4) {
      const wp = w0 + k, mp = wp + rowB, vp = mp + rowB;
      const w = load<f32>(wp);
      const g = load<f32>(g0 + k) + wd * w;
      const m = beta1 * load<f32>(mp) + c1 * g;
      const v = beta2 * load<f32>(vp) + c2 * g * g;
      store<f32>(mp, m);
      store<f32>(vp, v);
      store<f32>(wp, w - (stepSize * m) / (Mathf.sqrt(v) * invSqrtBc2 + eps));
    }
  }
}

/** AdaGrad over rows [w | acc] (adagrad.ts): rows[0..count) with grads [count, dim]. */
export function adagrad(data: usize, dim: i32, rows: usize, count: i32, grads: usize, rate: f32, eps: f32, wd: f32): void {
  const rt = f32x4.splat(rate), ep = f32x4.splat(eps), wdv = f32x4.splat(wd);
  const rowB = <usize>dim << 2;
  const strideB = <usize>2 * rowB;
  const vecB = rowB & ~(<usize>15);
  for (let i = 0; i < count; i++) {
    if ((i & 15) == 0) touch(data, rows, i, min(count, i + 16), strideB, strideB);
    const w0 = data + <usize>load<i32>(rows + (<usize>i << 2)) * strideB;
    const g0 = grads + <usize>i * rowB;
    let k: usize = 0;
    for (; k < vecB; k += 16) {
      const wp = w0 + k, ap = wp + rowB;
      const w = v128.load(wp);
      const g = f32x4.add(v128.load(g0 + k), f32x4.mul(wdv, w));
      const acc = f32x4.add(v128.load(ap), f32x4.mul(g, g));
      v128.store(ap, acc);
      v128.store(wp, f32x4.sub(w, f32x4.div(f32x4.mul(rt, g), f32x4.add(f32x4.sqrt(acc), ep))));
    }
    for (; k < rowB; k += 4) {
      const wp = w0 + k, ap = wp + rowB;
      const w = load<f32>(wp);
      const g = load<f32>(g0 + k) + wd * w;
      const acc = load<f32>(ap) + g * g;
      store<f32>(ap, acc);
      store<f32>(wp, w - (rate * g) / (Mathf.sqrt(acc) + eps));
    }
  }
}

/**
 * FTRL-Proximal over rows [w | z | n] (ftrl.ts): rows[0..count) with grads [count, dim], in float64 as the
 * JavaScript loop computes it (float32 loads promoted, z and w from the unrounded float64 values, one rounding
 * on store), two elements at a time in f64x2 lanes: two rows at a time for dim 1 (the wide part), else pairs
 * within a row and a scalar tail.
 */
export function ftrl(data: usize, dim: i32, rows: usize, count: i32, grads: usize, alpha: f64, beta: f64, l1: f64, l2: f64): void {
  const rowB = <usize>dim << 2;
  const strideB = <usize>3 * rowB;
  if (dim == 1) {
    const pairs = count & ~1;
    let i = 0;
    for (; i < pairs; i += 2) {
      if ((i & 15) == 0) touch(data, rows, i, min(count, i + 16), strideB, strideB);
      const a = data + <usize>load<i32>(rows + (<usize>i << 2)) * strideB;
      const b = data + <usize>load<i32>(rows + (<usize>(i + 1) << 2)) * strideB;
      const g = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(grads + (<usize>i << 2))), 1, <f64>load<f32>(grads + (<usize>(i + 1) << 2)));
      const w = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(a)), 1, <f64>load<f32>(b));
      const z0 = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(a, 4)), 1, <f64>load<f32>(b, 4));
      const n = f64x2.replace_lane(f64x2.splat(<f64>load<f32>(a, 8)), 1, <f64>load<f32>(b, 8));
      const wNew = ftrlPair(g, w, z0, n, alpha, beta, l1, l2);
      store<f32>(a, <f32>f64x2.extract_lane(wNew, 0));
      store<f32>(b, <f32>f64x2.extract_lane(wNew, 1));
      store<f32>(a, <f32>f64x2.extract_lane(pairZ, 0), 4);
      store<f32>(b, <f32>f64x2.extract_lane(pairZ, 1), 4);
      store<f32>(a, <f32>f64x2.extract_lane(pairN, 0), 8);
      store<f32>(b, <f32>f64x2.extract_lane(pairN, 1), 8);
    }
    if (i < count) ftrlOne(data + <usize>load<i32>(rows + (<usize>i << 2)) * strideB, 4, <f64>load<f32>(grads + (<usize>i << 2)), alpha, beta, l1, l2);
    return;
  }
  const pairB = rowB & ~(<usize>7);
  for (let i = 0; i < count; i++) {
    if ((i & 15) == 0) touch(data, rows, i, min(count, i + 16), strideB, strideB);
    const w0 = data + <usize>load<i32>(rows + (<usize>i << 2)) * strideB;
    const g0 = grads + <usize>i * rowB;
    let k: usize = 0;
    for (; k < pairB; k += 8) {
      const wp = w0 + k, zp = wp + rowB, np = zp + rowB;
      const wNew = ftrlPair(f64x2.promote_low_f32x4(v128.load64_zero(g0 + k)), f64x2.promote_low_f32x4(v128.load64_zero(wp)),
        f64x2.promote_low_f32x4(v128.load64_zero(zp)), f64x2.promote_low_f32x4(v128.load64_zero(np)), alpha, beta, l1, l2);
      v128.store64_lane(zp, f32x4.demote_f64x2_zero(pairZ), 0);
      v128.store64_lane(np, f32x4.demote_f64x2_zero(pairN), 0);
      v128.store64_lane(wp, f32x4.demote_f64x2_zero(wNew), 0);
    }
    for (; k < rowB; k += 4) ftrlOne(w0 + k, rowB, <f64>load<f32>(g0 + k), alpha, beta, l1, l2);
  }
}

// ftrlPair's new z and n beside the w it returns (globals of this thread's instance: no allocation, which the
// stub runtime would take from the shared memory).
let pairZ: v128 = f64x2(0, 0);
let pairN: v128 = f64x2(0, 0);

/** One FTRL step of two elements (see `ftrl`): the new w; the new z and n in pairZ and pairN. */
@inline function ftrlPair(g: v128, w: v128, z0: v128, n: v128, alpha: f64, beta: f64, l1: f64, l2: f64): v128 {
  const a = f64x2.splat(alpha);
  const nNew = f64x2.add(n, f64x2.mul(g, g));
  const sqrtN = f64x2.sqrt(nNew);
  const sigma = f64x2.div(f64x2.sub(sqrtN, f64x2.sqrt(n)), a);
  const z = f64x2.sub(f64x2.add(z0, g), f64x2.mul(sigma, w));
  const l1v = f64x2.splat(l1);
  const shrunk = f64x2.sub(z, v128.bitselect(l1v, f64x2.neg(l1v), f64x2.gt(z, f64x2.splat(0))));
  const value = f64x2.div(f64x2.neg(shrunk), f64x2.add(f64x2.div(f64x2.add(f64x2.splat(beta), sqrtN), a), f64x2.splat(l2)));
  pairZ = z;
  pairN = nNew;
  return v128.bitselect(f64x2.splat(0), value, f64x2.le(f64x2.abs(z), l1v));
}

/** One element of `ftrl` at w (z at w + gap bytes, n at w + 2 gap), as the JavaScript loop computes it. */
@inline function ftrlOne(wp: usize, gap: usize, g: f64, alpha: f64, beta: f64, l1: f64, l2: f64): void {
  const zp = wp + gap, np = zp + gap;
  const n = <f64>load<f32>(np);
  const nNew = n + g * g;
  const sqrtN = Math.sqrt(nNew);
  const sigma = (sqrtN - Math.sqrt(n)) / alpha;
  const z = <f64>load<f32>(zp) + g - sigma * <f64>load<f32>(wp);
  store<f32>(zp, <f32>z);
  store<f32>(np, <f32>nNew);
  store<f32>(wp, Math.abs(z) <= l1 ? <f32>0 : <f32>(-(z - (z > 0 ? l1 : -l1)) / ((beta + sqrtN) / alpha + l2)));
}

/**
 * The gradient of one feature of one-id bags (row-gradients.ts, addPooled into an empty map): ids[b]'s row
 * receives grad[b] (dim floats at col + b * width floats: the feature's columns of a block, in place or copied
 * out), summed in batch order as float32 additions (the JavaScript loop's double sum rounded each time is the
 * same), deduplicated through an open-addressing map (keys and slots, `cap` a power of two >= 2n, cleared
 * here). Writes the unique rows in first-seen order and their sums; returns their count, or -(b + 1) for the
 * first b whose id is outside [0, numRows).
 */
export function scatterOne(ids: usize, n: i32, numRows: i32, col: usize, dim: i32, width: i32, keys: usize, slots: usize, cap: i32, rows: usize, grads: usize): i32 {
  memory.fill(keys, 0xff, <usize>cap << 2);
  const mask = cap - 1;
  const shift = 32 - (31 - clz(cap));
  const rowB = <usize>dim << 2;
  const vecB = rowB & ~(<usize>15);
  let count = 0;
  for (let b = 0; b < n; b++) {
    const id = load<i32>(ids + (<usize>b << 2));
    if (<u32>id >= <u32>numRows) return -(b + 1);
    let h = <i32>(<u32>(id * <i32>0x9e3779b1) >>> <u32>shift);
    let slot = -1;
    for (;;) {
      const k = load<i32>(keys + (<usize>h << 2));
      if (k == id) {
        slot = load<i32>(slots + (<usize>h << 2));
        break;
      }
      if (k == -1) break;
      h = (h + 1) & mask;
    }
    const src = col + ((<usize>b * <usize>width) << 2);
    if (slot < 0) {
      slot = count++;
      store<i32>(keys + (<usize>h << 2), id);
      store<i32>(slots + (<usize>h << 2), slot);
      store<i32>(rows + (<usize>slot << 2), id);
      const dst = grads + <usize>slot * rowB;
      let k: usize = 0;
      for (; k < vecB; k += 16) v128.store(dst + k, v128.load(src + k));
      for (; k < rowB; k += 4) store<f32>(dst + k, load<f32>(src + k));
    } else {
      const dst = grads + <usize>slot * rowB;
      let k: usize = 0;
      for (; k < vecB; k += 16) v128.store(dst + k, f32x4.add(v128.load(dst + k), v128.load(src + k)));
      for (; k < rowB; k += 4) store<f32>(dst + k, load<f32>(dst + k) + load<f32>(src + k));
    }
  }
  return count;
}

/**
 * One wide feature's share of the logits (wide.ts, WideLinear.logits): out[b] += the float32 running sum from 0
 * of the weights of bag b's ids (unweighted bags; bag b is ids[offsets[b] .. offsets[b + 1]), each row's weight
 * at stride floats from data), as bagOfScalars' sum and the logit's float32 addition. Returns -1, or the index
 * of the first id outside [0, numRows).
 */
export function wideAdd(data: usize, stride: i32, numRows: i32, ids: usize, offsets: usize, n: i32, out: usize): i32 {
  const strideB = <usize>stride << 2;
  for (let b = 0; b < n; b++) {
    const lo = load<i32>(offsets + (<usize>b << 2));
    const hi = load<i32>(offsets + (<usize>(b + 1) << 2));
    if ((b & 15) == 0) touch(data, ids, lo, load<i32>(offsets + (<usize>min(n, b + 16) << 2)), strideB, 4);
    let s: f32 = 0;
    for (let i = lo; i < hi; i++) {
      const id = load<i32>(ids + (<usize>i << 2));
      if (<u32>id >= <u32>numRows) return i;
      s += load<f32>(data + <usize>id * strideB);
    }
    const o = out + (<usize>b << 2);
    store<f32>(o, load<f32>(o) + s);
  }
  return -1;
}

/**
 * One wide feature's gradient (row-gradients.ts, addWide; the bias's addScalar is one bag of id 0): row
 * `offset + id` of every id of bag b (bags as in wideAdd) receives d[b], summed in batch order as float32
 * additions onto a slot that starts at 0. Deduplicated through an open-addressing map whose bucket h holds
 * the row and its slot side by side at map + 8h (one cache line for both; `cap` buckets, a power of two >= 2
 * rows), continued from `count` rows and cleared here when count is 0; the rows in first-seen order. Returns
 * the new count, or -(i + 1) for the first id i outside [0, size).
 */
export function wideScatter(ids: usize, offsets: usize, n: i32, size: i32, offset: i32, d: usize, map: usize, cap: i32, rows: usize, grads: usize, count: i32): i32 {
  if (count == 0) memory.fill(map, 0xff, <usize>cap << 3);
  const mask = cap - 1;
  const shift = 32 - (31 - clz(cap));
  for (let b = 0; b < n; b++) {
    const g = load<f32>(d + (<usize>b << 2));
    const hi = load<i32>(offsets + (<usize>(b + 1) << 2));
    for (let i = load<i32>(offsets + (<usize>b << 2)); i < hi; i++) {
      const id = load<i32>(ids + (<usize>i << 2));
      if (<u32>id >= <u32>size) return -(i + 1);
      const row = offset + id;
      let h = <i32>(<u32>(row * <i32>0x9e3779b1) >>> <u32>shift);
      for (;;) {
        const bucket = map + (<usize>h << 3);
        const k = load<i32>(bucket);
        if (k == row) {
          const p = grads + (<usize>load<i32>(bucket, 4) << 2);
          store<f32>(p, load<f32>(p) + g);
          break;
        }
        if (k == -1) {
          const slot = count++;
          store<i32>(bucket, row);
          store<i32>(bucket, slot, 4);
          store<i32>(rows + (<usize>slot << 2), row);
          store<f32>(grads + (<usize>slot << 2), <f32>0 + g);
          break;
        }
        h = (h + 1) & mask;
      }
    }
  }
  return count;
}
