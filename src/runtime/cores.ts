import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Reads a small text file: its text, or undefined where it is absent or unreadable. */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Whole cores a CFS quota allows: floor(quota / period), at least 1; undefined for no quota ("max", -1). */
function quotaCores(quota: number, period: number): number | undefined {
  if (!(Number.isFinite(quota) && quota > 0 && Number.isFinite(period) && period > 0)) return undefined;
  return Math.max(1, Math.floor(quota / period));
}

/** A cgroup path and its ancestors up to the root: '/a/b' -> ['/a/b', '/a', '']. */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  return parts.map((_, i) => `/${parts.slice(0, parts.length - i).join('/')}`).concat('');
}

/**
 * This process's cgroup directory for cgroup v2 (`0::/path`) and for v1's cpu controller (`N:cpu,cpuacct:/path`),
 * from /proc/self/cgroup. In a container with its own cgroup namespace both are '/' (the mount's root).
 */
function cgroupPaths(read: ReadText): { v2: string; v1: string } {
  let v2 = '/';
  let v1 = '/';
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line.trim()) ?? [];
    if (path === undefined) continue;
    if (controllers === '') v2 = path;
    else if ((controllers as string).split(',').includes('cpu')) v1 = path;
  }
  return { v2, v1 };
}

/**
 * The CPU limit of this process's cgroup in whole cores, or undefined where none is set. A limit set on any
 * ancestor applies too, so the smallest along the path wins. cgroup v2: `cpu.max` ("max 100000": no limit;
 * "200000 100000": 2 cores); v1 (where no v2 `cpu.max` exists): `cpu.cfs_quota_us` / `cpu.cfs_period_us`
 * (quota -1: no limit). A fractional limit rounds down (1.5 cores -> 1), so threads never outnumber the quota:
 * a thread over it is paused by the scheduler, and the others wait for it at every parallel node.
 */
export function cgroupCpuLimit(read: ReadText = readText): number | undefined {
  const { v2, v1 } = cgroupPaths(read);
  let limit: number | undefined;
  let sawV2 = false;
  const take = (cores: number | undefined): void => {
    if (cores !== undefined) limit = Math.min(limit ?? cores, cores);
  };
  for (const dir of selfAndAncestors(v2)) {
    const max = read(`/sys/fs/cgroup${dir}/cpu.max`)?.trim().split(/\s+/);
    if (max === undefined) continue;
    sawV2 = true;
    if (max[0] !== 'max') take(quotaCores(Number(max[0]), Number(max[1] ?? 100_000)));
  }
  if (sawV2) return limit;
  for (const dir of selfAndAncestors(v1)) {
    const quota = read(`/sys/fs/cgroup/cpu${dir}/cpu.cfs_quota_us`);
    const period = read(`/sys/fs/cgroup/cpu${dir}/cpu.cfs_period_us`);
    if (quota !== undefined && period !== undefined) take(quotaCores(Number(quota), Number(period)));
  }
  return limit;
}

/**
 * The cores this process may use: `os.availableParallelism()` (the CPUs it may run on), lowered to its cgroup's
 * CPU limit where one is set (a container given 2 of a 64-core host's CPUs gets 2). The default intra-op thread
 * count of the node executor. `read` and `parallelism` are for tests.
 */
export function availableCores(options: { read?: ReadText; parallelism?: number } = {}): number {
  const cpus = options.parallelism ?? availableParallelism();
  const limit = cgroupCpuLimit(options.read ?? readText);
  return Math.max(1, Math.min(cpus, limit ?? cpus));
}
