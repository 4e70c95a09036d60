import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { availableCores, cgroupCpuLimit } from '../../src/runtime/cores.js';

/** A fake filesystem: path -> contents; any other path is absent. */
const files = (entries: Record<string, string>) => (path: string): string | undefined => entries[path];

describe('availableCores', () => {
  it('cgroup v2: "max" is no limit, "200000 100000" is 2 cores', () => {
    expect(availableCores({ parallelism: 16, read: files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'max 100000\n' }) })).toBe(16);
    expect(availableCores({ parallelism: 16, read: files({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '200000 100000\n' }) })).toBe(2);
  });

  it('a fractional quota rounds down, never below one core; a quota above the CPUs leaves the CPUs', () => {
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '150000 100000' }))).toBe(1);
    expect(cgroupCpuLimit(files({ '/sys/fs/cgroup/cpu.max': '50000 100000' }))).toBe(1);
    expect(availableCores({ parallelism: 4, read: files({ '/sys/fs/cgroup/cpu.max': '800000 100000' }) })).toBe(4);
  });

  it("reads the process's own cgroup and its ancestors: the smallest limit on the path wins", () => {
    const read = files({
      '/proc/self/cgroup': '0::/kubepods/pod1/box\n',
      '/sys/fs/cgroup/kubepods/pod1/box/cpu.max': 'max 100000',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '300000 100000',
      '/sys/fs/cgroup/kubepods/cpu.max': '1200000 100000',
    });
    expect(availableCores({ parallelism: 64, read })).toBe(3);
  });

  it('cgroup v1 (no cpu.max): cpu.cfs_quota_us / cpu.cfs_period_us, -1 is no limit', () => {
    const v1 = (quota: string) =>
      files({
        '/proc/self/cgroup': '4:memory:/x\n2:cpu,cpuacct:/job\n0::/\n',
        '/sys/fs/cgroup/cpu/job/cpu.cfs_quota_us': quota,
        '/sys/fs/cgroup/cpu/job/cpu.cfs_period_us': '100000\n',
      });
    expect(availableCores({ parallelism: 8, read: v1('400000\n') })).toBe(4);
    expect(availableCores({ parallelism: 8, read: v1('-1\n') })).toBe(8);
  });

  it('no cgroup files at all (another OS, or none mounted): all the CPUs', () => {
    expect(cgroupCpuLimit(files({}))).toBeUndefined();
    expect(availableCores({ parallelism: 6, read: files({}) })).toBe(6);
  });

  it('on this machine: at least 1 and at most os.availableParallelism()', () => {
    const n = availableCores();
    expect(n).toBeGreaterThanOrEqual(1);
    expect(n).toBeLessThanOrEqual(availableParallelism());
  });
});
