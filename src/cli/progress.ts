import type { EpochRecord, Progress } from '../train/trainer.js';

/** Where training progress goes: a live bar on a terminal, plain log lines otherwise, JSON lines with --json. */
export interface ProgressView {
  progress(p: Progress): void;
  epoch(r: EpochRecord): void;
  done(): void;
}

const fmtRate = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));
const fmtTime = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
};

function metricsLine(m: Readonly<Record<string, number>> | null): string {
  if (!m) return '';
  const keys = ['auc', 'logLoss', 'accuracy', 'rmse', 'ndcg@10'].filter((k) => m[k] !== undefined);
  return keys.map((k) => `${k} ${(m[k] as number).toFixed(4)}`).join('  ');
}

/** A one-line bar redrawn in place (TTY). */
export function barView(out: NodeJS.WriteStream): ProgressView {
  let last = '';
  return {
    progress(p) {
      const frac = p.rowsTotal ? Math.min(1, p.rowsDone / p.rowsTotal) : 0;
      const width = 24;
      const filled = Math.round(frac * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      const line = `epoch ${p.epoch + 1}/${p.epochs} ${bar} ${(frac * 100).toFixed(0)}%  ${fmtRate(p.rowsPerSec)} rows/s  ETA ${fmtTime(p.etaSec)}  loss ${p.loss.toFixed(4)}${last ? `  | ${last}` : ''}`;
      out.write(`\r${line.slice(0, (out.columns ?? 120) - 1)}\x1b[K`);
    },
    epoch(r) {
      last = metricsLine(r.validation);
      out.write(`\r\x1b[Kepoch ${r.epoch + 1}: loss ${r.trainLoss.toFixed(4)}  ${fmtRate(r.rowsPerSec)} rows/s  ${r.seconds.toFixed(1)}s  ${last}\n`);
    },
    done() {
      out.write('\r\x1b[K');
    },
  };
}

/** Plain log lines (not a TTY): one per epoch and one every ~10 seconds within an epoch. */
export function logView(out: NodeJS.WritableStream): ProgressView {
  let lastAt = performance.now();
  return {
    progress(p) {
      if (performance.now() - lastAt < 10_000) return;
      lastAt = performance.now();
      out.write(`epoch ${p.epoch + 1}/${p.epochs} step ${p.step} rows ${p.rowsDone}${p.rowsTotal ? `/${p.rowsTotal}` : ''} ${fmtRate(p.rowsPerSec)} rows/s ETA ${fmtTime(p.etaSec)} loss ${p.loss.toFixed(4)}\n`);
    },
    epoch(r) {
      lastAt = performance.now();
      out.write(`epoch ${r.epoch + 1}: loss ${r.trainLoss.toFixed(4)} ${fmtRate(r.rowsPerSec)} rows/s ${r.seconds.toFixed(1)}s ${metricsLine(r.validation)}\n`);
    },
    done() {},
  };
}

/** One JSON line per epoch on `out` (stdout under --json). */
export function jsonView(out: NodeJS.WritableStream): ProgressView {
  return {
    progress() {},
    epoch(r) {
      out.write(`${JSON.stringify({ event: 'epoch', ...r })}\n`);
    },
    done() {},
  };
}

export function progressView(json: boolean): ProgressView {
  if (json) return jsonView(process.stdout);
  return process.stderr.isTTY ? barView(process.stderr) : logView(process.stderr);
}
