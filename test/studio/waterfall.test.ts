import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBundle } from '../../src/artifact/bundle.js';
import type { Explanation, MulticlassExplanation } from '../../src/model/explain.js';
import { predictRows } from '../../src/serve/predict-rows.js';
import { breakdownOf, waterfallSpec, waterfallSteps } from '../../src/studio/waterfall.js';
import { expected, FIXTURE } from '../helpers/bundle-fixture.js';

// The what-if waterfall: the steps of a real explanation add up to the row's logit.

describe('waterfallSteps', () => {
  it("walks from the wide bias through the top terms, the other wide terms and the deep logit to the model's logit", async () => {
    const { model, bundle } = await loadBundle(join(FIXTURE, 'model'));
    try {
      const rows = expected().rows;
      const { explanations } = await predictRows(model, bundle.spec, rows, { explain: true, topK: 1 });
      let sawOther = false;
      for (const e of explanations as Explanation[]) {
        const steps = waterfallSteps(e);
        const total = steps.at(-1)!;
        expect(total).toMatchObject({ kind: 'total', start: 0, end: e.logit });
        // Each step starts where the one before ended; the last one before the total ends at the logit.
        for (let i = 1; i < steps.length - 1; i++) expect(steps[i]!.start).toBe(steps[i - 1]!.end);
        expect(steps.at(-2)!.end).toBeCloseTo(e.logit, 5);
        expect(steps.filter((s) => s.kind === 'wide term')).toHaveLength(e.top.length);
        const other = steps.find((s) => s.kind === 'other wide terms');
        if (other) {
          sawOther = true;
          expect(other.value).toBeCloseTo(e.wideLogit - e.wideBias - e.top.reduce((a, t) => a + t.contribution, 0), 6);
        }
        const spec = waterfallSpec(steps, 'x') as { data: { values: { label: string }[] } };
        expect(spec.data.values.map((v) => v.label)).toEqual(steps.map((s) => s.label));
      }
      expect(sawOther).toBe(true);
    } finally {
      await model.release();
    }
  });

  it("draws a multi-class row's predicted class", () => {
    const cls = (name: string, logit: number, probability: number) => ({ class: name, wideLogit: logit, wideBias: 0, top: [], deepLogit: 0, logit, probability });
    const e: MulticlassExplanation = { predictedClass: 'b', prediction: [0.2, 0.8], classes: [cls('a', -1, 0.2), cls('b', 1, 0.8)] };
    expect(breakdownOf(e)).toMatchObject({ prediction: 0.8, label: 'class b', breakdown: { logit: 1 } });
  });
});
