/**
 * Request bodies shaped like the paper's (one user's context on every row, candidate apps drawn at random) for
 * the model of `examples/synthetic.yaml`, from a seed: for the benches that have no test split at hand
 * (bench/serve-handler-case.ts, bench/device/serve-latency.ts; bench/serve-case.ts draws its rows from the
 * test split instead).
 */
export function paperBodies(candidates: number, count: number, seed = 1): string[] {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  return Array.from({ length: count }, () => {
    const user = { user_id: `u${Math.floor(rnd() * 9000)}`, country: `cty0${Math.floor(rnd() * 9)}`, gender: pick(['f', 'm', 'u']), device: pick(['phone', 'tablet', 'tv']), installed_apps: Array.from({ length: 5 }, () => `a${Math.floor(rnd() * 200)}`), age: 20 + Math.floor(rnd() * 50), hour: Math.floor(rnd() * 24) };
    return JSON.stringify({ rows: Array.from({ length: candidates }, () => ({ ...user, app_id: `a${Math.floor(rnd() * 300)}`, app_category: `cat${String(Math.floor(rnd() * 20)).padStart(2, '0')}` })) });
  });
}
