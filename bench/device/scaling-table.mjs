// Prints the scaling table of bench/device/scaling.sh from its JSON lines: samples/s per case and thread
// count, widedeep without and with sparse workers, the PyTorch peer, and widedeep's best over the peer.
//   node bench/device/scaling-table.mjs .tmp/scaling.jsonl
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const k = (s) => (s === undefined ? '-' : `${(s / 1000).toFixed(1)}k`);
const fig = (who, c, t, w) => rows.find((r) => r.who === who && r.case_name === c && r.T === t && r.W === w)?.samples_per_s;
const threads = [...new Set(rows.map((r) => r.T))].sort((a, b) => a - b);
const kernel = rows.find((r) => r.who === 'torch')?.blas_core ?? 'unknown';
console.log(`PyTorch BLAS kernel: ${kernel}`);
console.log('| case | threads | widedeep | widedeep + sparse workers (threads-1) | PyTorch | best / PyTorch |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const c of ['criteo', 'criteo_small']) {
  for (const t of threads) {
    const a = fig('widedeep', c, t, 0);
    const b = fig('widedeep', c, t, t - 1);
    const p = fig('torch', c, t, 0);
    const best = Math.max(a ?? 0, b ?? 0);
    console.log(`| ${c} | ${t} | ${k(a)} | ${t > 1 ? k(b) : '-'} | ${k(p)} | ${p && best ? `${(best / p).toFixed(2)}x` : '-'} |`);
  }
}
