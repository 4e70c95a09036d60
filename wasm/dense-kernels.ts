// AssemblyScript source of the WebAssembly SIMD kernels of the dense optimizers (src/runtime/simd/). Compiled by
// `npm run build:kernels` (scripts/build-kernels.ts) into src/runtime/simd/dense-kernels-wasm.ts; a test compiles
// it again and checks the two agree. Not TypeScript: tsc never sees this folder.
//
// Each kernel does exactly the arithmetic of its JavaScript twin (src/runtime/dense-update.ts) in float32: the
// same operations in the same order, four elements at a time in f32x4 lanes and a scalar f32 tail. float32
// addition, multiplication, division and square root are correctly rounded in both, so the results are the same
// bit for bit. Every scalar argument is already a float32 value (the caller rounds the constants once, as the
// training graph's float32 scalars were). Pointers are byte offsets in the module's one (imported, not shared)
// memory; `n` counts floats. Each kernel updates the parameter `p` and its slots in place from the gradient `g`;
// `wd` (weight decay) is added to the gradient as wd * p when it is not 0.

/** SGD without momentum: p -= lr g. */
export function sgd(p: usize, g: usize, n: i32, lr: f32, wd: f32): void {
  const lrv = f32x4.splat(lr), wdv = f32x4.splat(wd);
  const decay = wd != 0;
  const end = <usize>n << 2;
  const vecEnd = end & ~(<usize>15);
  let k: usize = 0;
  for (; k < vecEnd; k += 16) {
    const pv = v128.load(p + k);
    let gv = v128.load(g + k);
    if (decay) gv = f32x4.add(gv, f32x4.mul(pv, wdv));
    v128.store(p + k, f32x4.sub(pv, f32x4.mul(gv, lrv)));
  }
  for (; k < end; k += 4) {
    const pv = load<f32>(p + k);
    let gv = load<f32>(g + k);
    if (decay) gv = gv + pv * wd;
    store<f32>(p + k, pv - gv * lr);
  }
}

/** SGD with momentum (PyTorch's form): v = mu v + g; p -= lr v. */
export function momentum(p: usize, g: usize, v: usize, n: i32, lr: f32, mu: f32, wd: f32): void {
  const lrv = f32x4.splat(lr), muv = f32x4.splat(mu), wdv = f32x4.splat(wd);
  const decay = wd != 0;
  const end = <usize>n << 2;
  const vecEnd = end & ~(<usize>15);
  let k: usize = 0;
  for (; k < vecEnd; k += 16) {
    const pv = v128.load(p + k);
    let gv = v128.load(g + k);
    if (decay) gv = f32x4.add(gv, f32x4.mul(pv, wdv));
    const vv = f32x4.add(f32x4.mul(v128.load(v + k), muv), gv);
    v128.store(v + k, vv);
    v128.store(p + k, f32x4.sub(pv, f32x4.mul(vv, lrv)));
  }
  for (; k < end; k += 4) {
    const pv = load<f32>(p + k);
    let gv = load<f32>(g + k);
    if (decay) gv = gv + pv * wd;
    const vv = load<f32>(v + k) * mu + gv;
    store<f32>(v + k, vv);
    store<f32>(p + k, pv - vv * lr);
  }
}

/** AdaGrad: a += g^2; p -= lr g / (sqrt(a) + eps). */
export function adagrad(p: usize, g: usize, a: usize, n: i32, lr: f32, eps: f32, wd: f32): void {
  const lrv = f32x4.splat(lr), epv = f32x4.splat(eps), wdv = f32x4.splat(wd);
  const decay = wd != 0;
  const end = <usize>n << 2;
  const vecEnd = end & ~(<usize>15);
  let k: usize = 0;
  for (; k < vecEnd; k += 16) {
    const pv = v128.load(p + k);
    let gv = v128.load(g + k);
    if (decay) gv = f32x4.add(gv, f32x4.mul(pv, wdv));
    const av = f32x4.add(v128.load(a + k), f32x4.mul(gv, gv));
    v128.store(a + k, av);
    v128.store(p + k, f32x4.sub(pv, f32x4.div(f32x4.mul(gv, lrv), f32x4.add(f32x4.sqrt(av), epv))));
  }
  for (; k < end; k += 4) {
    const pv = load<f32>(p + k);
    let gv = load<f32>(g + k);
    if (decay) gv = gv + pv * wd;
    const av = load<f32>(a + k) + gv * gv;
    store<f32>(a + k, av);
    store<f32>(p + k, pv - (gv * lr) / (sqrt<f32>(av) + eps));
  }
}

/**
 * Adam with the bias corrections folded into lr and eps (src/graph/optimizers.ts hyperValuesOf):
 * m = b1 m + k1 g; v = b2 v + k2 g^2; p -= lr m / (sqrt(v) + eps), where k1 = 1 - b1 and k2 = 1 - b2.
 */
export function adam(p: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, eps: f32, b1: f32, k1: f32, b2: f32, k2: f32, wd: f32): void {
  const lrv = f32x4.splat(lr), epv = f32x4.splat(eps), wdv = f32x4.splat(wd);
  const b1v = f32x4.splat(b1), k1v = f32x4.splat(k1), b2v = f32x4.splat(b2), k2v = f32x4.splat(k2);
  const decay = wd != 0;
  const end = <usize>n << 2;
  const vecEnd = end & ~(<usize>15);
  let k: usize = 0;
  for (; k < vecEnd; k += 16) {
    const pv = v128.load(p + k);
    let gv = v128.load(g + k);
    if (decay) gv = f32x4.add(gv, f32x4.mul(pv, wdv));
    const mv = f32x4.add(f32x4.mul(v128.load(m + k), b1v), f32x4.mul(gv, k1v));
    const vv = f32x4.add(f32x4.mul(v128.load(v + k), b2v), f32x4.mul(f32x4.mul(gv, gv), k2v));
    v128.store(m + k, mv);
    v128.store(v + k, vv);
    v128.store(p + k, f32x4.sub(pv, f32x4.div(f32x4.mul(mv, lrv), f32x4.add(f32x4.sqrt(vv), epv))));
  }
  for (; k < end; k += 4) {
    const pv = load<f32>(p + k);
    let gv = load<f32>(g + k);
    if (decay) gv = gv + pv * wd;
    const mv = load<f32>(m + k) * b1 + gv * k1;
    const vv = load<f32>(v + k) * b2 + gv * gv * k2;
    store<f32>(m + k, mv);
    store<f32>(v + k, vv);
    store<f32>(p + k, pv - (mv * lr) / (sqrt<f32>(vv) + eps));
  }
}
