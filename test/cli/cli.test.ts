import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentDir } from '../../src/artifact/atomic-dir.js';
import { jsonLines, runCli } from '../helpers/cli.js';
import { smallConfig, writeConfig } from '../helpers/small-config.js';

describe('widedeep CLI', () => {
  it('fit --json prints one line per epoch and a final line, and writes a bundle that predict, eval and inspect read', async () => {
    const [dir, path] = writeConfig(smallConfig({ epochs: 2 }));
    const out = join(dir, 'run');
    const fit = await runCli(['fit', '--config', path, '--out', out, '--json']);
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    const lines = jsonLines(fit.stdout);
    expect(lines.filter((l) => l.event === 'epoch')).toHaveLength(2);
    const final = lines.find((l) => l.event === 'final') as { test: { auc: number } };
    expect(final.test.auc).toBeGreaterThan(0.6);
    expect(existsSync(join(await currentDir(join(out, 'model')), 'manifest.json'))).toBe(true);

    const rows = [
      { user_id: 'u1', app_id: 'a1', app_category: 'cat01', country: 'cty00', installed_apps: ['a2', 'a3'], age: 31 },
      { user_id: 'u2', app_id: 'a9', app_category: 'cat02', country: 'cty01', installed_apps: [], age: 52 },
    ];
    const pred = await runCli(['predict', '--model', join(out, 'model'), '--input', '-', '--explain', '--top-k', '3'], { input: rows.map((r) => JSON.stringify(r)).join('\n') });
    expect(pred.code).toBe(0);
    const ps = jsonLines(pred.stdout) as { prediction: number; wideLogit: number; deepLogit: number; logit: number; top: { feature: string; contribution: number }[] }[];
    expect(ps).toHaveLength(2);
    for (const p of ps) {
      expect(p.prediction).toBeCloseTo(1 / (1 + Math.exp(-p.logit)), 5);
      expect(p.wideLogit + p.deepLogit).toBeCloseTo(p.logit, 5);
      expect(p.top.length).toBeLessThanOrEqual(3);
    }

    // JSON rows may leave a column out: missing in every row, as a null would be.
    const lacking = rows.map(({ country: _c, ...rest }) => rest);
    const nulls = rows.map((r) => ({ ...r, country: null }));
    const [p1, p2] = await Promise.all([lacking, nulls].map((rs) => runCli(['predict', '--model', join(out, 'model'), '--input', '-'], { input: rs.map((r) => JSON.stringify(r)).join('\n') })));
    expect(p1!.code).toBe(0);
    expect(jsonLines(p1!.stdout)).toHaveLength(2);
    expect(p1!.stdout).toBe(p2!.stdout);

    const ev = await runCli(['eval', '--model', join(out, 'model'), '--json']);
    expect(ev.code).toBe(0);
    expect((jsonLines(ev.stdout)[0] as { metrics: { auc: number } }).metrics.auc).toBeCloseTo(final.test.auc, 10);

    const ins = await runCli(['inspect', '--model', join(out, 'model')]);
    expect(ins.code).toBe(0);
    expect(ins.stdout).toMatch(/strongest wide weights/);
    expect(ins.stdout).toMatch(/country_x_category/);
  });

  it('predict --explain on a multi-class model breaks down every class and names the predicted one', async () => {
    const raw = smallConfig({ epochs: 1 });
    const features = raw.features as Record<string, unknown>;
    const [dir, path] = writeConfig({ ...raw, features: { ...features, label: { kind: 'multiclass', column: 'app_category' } } });
    const out = join(dir, 'run');
    expect((await runCli(['fit', '--config', path, '--out', out, '--json'])).code).toBe(0);
    const row = { user_id: 'u1', app_id: 'a1', app_category: 'cat01', country: 'cty00', installed_apps: ['a2'], age: 31 };
    const pred = await runCli(['predict', '--model', join(out, 'model'), '--input', '-', '--explain', '--top-k', '100'], { input: JSON.stringify(row) });
    expect(pred.code).toBe(0);
    type C = { class: string; wideLogit: number; wideBias: number; deepLogit: number; logit: number; probability: number; top: { contribution: number }[] };
    const [p] = jsonLines(pred.stdout) as { predictedClass: string; prediction: number[]; classes: C[] }[];
    expect(p!.classes.length).toBeGreaterThan(2);
    expect(p!.prediction.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const best = p!.classes.reduce((a, c) => (c.probability > a.probability ? c : a));
    expect(p!.predictedClass).toBe(best.class);
    for (const c of p!.classes) {
      expect(c.wideLogit + c.deepLogit).toBeCloseTo(c.logit, 5);
      // every fired term is listed (top-k 100): bias + contributions = the class's wide logit
      expect(c.wideBias + c.top.reduce((a, t) => a + t.contribution, 0)).toBeCloseTo(c.wideLogit, 4);
    }
  });

  it('--resume continues from the checkpoint and ends like an uninterrupted run', async () => {
    const [dir, path] = writeConfig(smallConfig({ epochs: 3 }));
    const whole = await runCli(['fit', '--config', path, '--out', join(dir, 'a'), '--json']);
    const part = await runCli(['fit', '--config', path, '--out', join(dir, 'b'), '--json', '--epochs', '1']);
    expect(part.code).toBe(0);
    const resumed = await runCli(['fit', '--config', path, '--out', join(dir, 'b'), '--json', '--resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* after epoch 1/);
    const test = (r: { stdout: string }) => (jsonLines(r.stdout).find((l) => l.event === 'final') as { test: unknown }).test;
    expect(test(resumed)).toEqual(test(whole));
  });

  it('--resume under a changed config or seed is refused, and the checkpoint is left as it was', async () => {
    const config = smallConfig({ epochs: 3 });
    const [dir, path] = writeConfig(config);
    const out = join(dir, 'run');
    expect((await runCli(['fit', '--config', path, '--out', out, '--epochs', '1'])).code).toBe(0);
    const manifest = join(await currentDir(join(out, 'checkpoint')), 'manifest.json');
    const checkpoint = readFileSync(manifest, 'utf8');
    const [, changed] = writeConfig({ ...config, train: { ...(config.train as object), ema: { decay: 0.99 } } });
    const r = await runCli(['fit', '--config', changed, '--out', out, '--resume']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/checkpoint.*--resume: the config differs .* at train\.ema \(checkpoint not set, now \{"decay":0\.99\}\)/);
    const seed = await runCli(['fit', '--config', path, '--out', out, '--resume', '--seed', '8']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(/seed \(checkpoint 3, now 8\)/);
    expect(readFileSync(manifest, 'utf8')).toBe(checkpoint);
  });

  it('bad input: unknown option, unknown config key, missing file, corrupt bundle', async () => {
    const opt = await runCli(['fit', '--confg', 'x.yaml']);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toMatch(/--confg.*valid options: --config/s);
    const [dir, path] = writeConfig({ ...smallConfig(), trian: {} });
    const key = await runCli(['fit', '--config', path]);
    expect(key.code).toBe(2);
    expect(key.stderr).toMatch(/unknown key trian.*valid top-level keys/);
    const cfg = smallConfig() as { model: Record<string, unknown> };
    cfg.model.deep = { type: 'mlp', hiden: [4] };
    const [, path2] = writeConfig(cfg);
    const deep = await runCli(['fit', '--config', path2]);
    expect(deep.stderr).toMatch(/hiden/);
    const cfg3 = smallConfig() as { model: { optimizers: Record<string, unknown> } };
    cfg3.model.optimizers.wide = { type: 'adagrad', lr: 0.01, alpha: 1 };
    const [, path3] = writeConfig(cfg3);
    const wide = await runCli(['fit', '--config', path3]);
    expect(wide.code).toBe(2);
    expect(wide.stderr).toMatch(/run\.yaml.*alpha/);
    expect(wide.stderr.match(/\(fix:/g)).toHaveLength(1);
    const missing = await runCli(['fit', '--config', join(dir, 'nope.yaml')]);
    expect(missing.stderr).toMatch(/nope\.yaml.*check the --config path/);
    const cmd = await runCli(['fitt']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command fitt/);
    writeFileSync(join(dir, 'manifest.json'), '{"format":');
    const bundle = await runCli(['inspect', '--model', dir]);
    expect(bundle.code).toBe(2);
    expect(bundle.stderr).toMatch(/manifest\.json is not valid JSON/);
    expect(readFileSync(path, 'utf8')).toMatch(/trian/);
  });
});
