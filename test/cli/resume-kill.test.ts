import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeVersion } from '../../src/artifact/atomic-dir.js';
import { fitCommand } from '../../src/cli/fit.js';
import { fitRun } from '../../src/train/pipeline.js';
import { parseRunConfig } from '../../src/train/run-config.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { runCliKilledAtRename, stopAt, versionFiles } from '../helpers/kill-save.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';

describe('fit --resume after a kill', () => {
  it('a run killed in the middle of a checkpoint save resumes, and ends like an uninterrupted run', async () => {
    const config = smallConfig({ epochs: 3, earlyStopping: true }); // epoch 2 is the best, epoch 3 is not
    const [dir, path] = writeConfig(config);
    const out = join(dir, 'run');
    const whole = fitRun(parseRunConfig(config));
    // Epoch 1 saves checkpoint and checkpoint-best (the first epoch is the best so far), one commit each;
    // the kill comes before the 4th rename, within the saves of epoch 2 (its second epoch is a best one too).
    const killed = await runCliKilledAtRename(['fit', '--config', path, '--out', out, '--json'], 4);
    expect(killed.signal).toBe('SIGKILL');
    expect(killed.stderr).toMatch(/killed before rename 4/);
    const resumed = await runCli(['fit', '--config', path, '--out', out, '--json', '--resume']);
    expect(resumed.stderr).toMatch(/resuming from .*checkpoint after epoch [12]/);
    expect(resumed.code).toBe(0);
    const final = jsonLines(resumed.stdout).find((l) => l.event === 'final') as { test: unknown; best: unknown };
    const w = await whole;
    await w.model.release();
    // Equal metrics also need the best epoch's state restored at the end, which the killed run had not yet
    // saved to checkpoint-best.
    expect(final.best).toEqual({ value: expect.any(Number), epoch: 1 });
    expect(final.best).toEqual(w.result.best);
    expect(final.test).toEqual(w.test);
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'checkpoint-best', 'model', 'run.json']);
  });

  it('no checkpoint yet (none, or a first save killed before its commit) says so; a damaged one says it is damaged', async () => {
    const config = parseRunConfig(smallConfig({ rows: 1000, epochs: 1 }));
    const dir = mkdtempSync(join(tmpdir(), 'wd-resume-'));
    const resume = (out: string) => fitCommand(config, { outDir: join(dir, out), json: true, resume: true, saveOptimizerState: false });
    await expect(resume('none')).rejects.toThrow(/checkpoint: no checkpoint yet in .*none: .*\(fix: rerun without --resume\)/);

    const { onStep, stopped } = stopAt('rename pointer');
    void writeVersion(join(dir, 'first', 'checkpoint'), versionFiles('epoch 1'), { onStep });
    await stopped;
    await expect(resume('first')).rejects.toThrow(/no checkpoint yet/);
    expect(readdirSync(join(dir, 'first', 'checkpoint'))).toEqual([]); // the uncommitted version and pointer, swept

    mkdirSync(join(dir, 'damaged', 'checkpoint'), { recursive: true });
    writeFileSync(join(dir, 'damaged', 'checkpoint', 'manifest.json'), '{"format":');
    await expect(resume('damaged')).rejects.toThrow(/manifest\.json is not valid JSON/);
  });
});
