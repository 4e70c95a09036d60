/**
 * The lane of each table (`costs[i]`: table i's cost), balanced greedily: tables in decreasing cost (ties in
 * table order) each go to the lane with the least load so far (ties to the lowest lane), lane 0 starting at
 * `mainLoad` (the calling thread's other work). Deterministic; which lane owns a table never changes its
 * arithmetic, only who runs it.
 */
export function laneOf(costs: readonly number[], lanes: number, mainLoad = 0): number[] {
  const load = Array.from({ length: lanes }, (_, l) => (l === 0 ? mainLoad : 0));
  const lane = new Array<number>(costs.length).fill(0);
  const order = costs.map((_, i) => i).sort((a, b) => (costs[b] as number) - (costs[a] as number) || a - b);
  for (const i of order) {
    let best = 0;
    for (let l = 1; l < lanes; l++) if ((load[l] as number) < (load[best] as number)) best = l;
    lane[i] = best;
    load[best] = (load[best] as number) + (costs[i] as number);
  }
  return lane;
}
