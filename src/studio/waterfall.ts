import type { TopLevelSpec } from 'vega-lite';
import type { ClassExplanation, Explanation, MulticlassExplanation } from '../model/explain.js';

/**
 * The what-if view's waterfall: one explained row's logit built up step by step, from the wide bias through
 * each of the strongest fired wide terms, the rest of the wide terms together, and the deep part's logit, to
 * the logit itself (the model's output is the sum wide + deep). Pure data and a Vega-Lite spec, with no DOM,
 * so the page (src/studio/app) draws it and Node tests check it.
 */

export interface WaterfallStep {
  readonly label: string;
  /** Where the bar starts and ends on the logit axis; a total bar starts at 0. */
  readonly start: number;
  readonly end: number;
  /** The step's own value (end - start, or the total). */
  readonly value: number;
  readonly kind: 'bias' | 'wide term' | 'other wide terms' | 'deep' | 'total';
}

/** The breakdown of one class's logit (a binary or regression row's only one). */
type Breakdown = Pick<Explanation, 'wideBias' | 'wideLogit' | 'top' | 'deepLogit' | 'logit'>;

/** The steps of one breakdown; they end at its logit (up to float rounding in the sums). */
export function waterfallSteps(e: Breakdown): WaterfallStep[] {
  const steps: WaterfallStep[] = [];
  let at = 0;
  const push = (label: string, value: number, kind: WaterfallStep['kind']) => {
    steps.push({ label, start: at, end: at + value, value, kind });
    at += value;
  };
  push('wide bias', e.wideBias, 'bias');
  let shown = 0;
  for (const t of e.top) {
    push(`${t.feature} = ${t.value}`, t.contribution, 'wide term');
    shown += t.contribution;
  }
  const rest = e.wideLogit - e.wideBias - shown;
  if (Math.abs(rest) > 1e-9) push('other wide terms', rest, 'other wide terms');
  push('deep logit', e.deepLogit, 'deep');
  steps.push({ label: 'logit', start: 0, end: e.logit, value: e.logit, kind: 'total' });
  return steps;
}

/** The breakdown a waterfall draws: the row's own, or for a multi-class row its predicted class's. */
export function breakdownOf(e: Explanation | MulticlassExplanation): { breakdown: Breakdown; prediction: number; label: string } {
  if ('classes' in e) {
    const c = e.classes.find((x) => x.class === e.predictedClass) as ClassExplanation;
    return { breakdown: c, prediction: c.probability, label: `class ${c.class}` };
  }
  return { breakdown: e, prediction: e.prediction, label: 'prediction' };
}

const COLORS = { bias: '#888888', 'wide term': '#4c78a8', 'other wide terms': '#9ecae9', deep: '#f58518', total: '#54a24b' };

/** A horizontal waterfall of the steps, in order top to bottom, with each step's value printed. */
export function waterfallSpec(steps: readonly WaterfallStep[], title: string): TopLevelSpec {
  const values = steps.map((s, i) => ({ ...s, order: i, lo: Math.min(s.start, s.end), hi: Math.max(s.start, s.end), text: `${s.value >= 0 ? '+' : ''}${s.value.toFixed(3)}` }));
  const kinds = Object.keys(COLORS);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 420,
    height: { step: 22 },
    data: { values },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 320 } },
    },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'lo', type: 'quantitative', title: 'logit' },
          x2: { field: 'hi' },
          color: { field: 'kind', type: 'nominal', scale: { domain: kinds, range: kinds.map((k) => COLORS[k as keyof typeof COLORS]) }, legend: { orient: 'bottom', title: null } },
          tooltip: [{ field: 'label' }, { field: 'value', format: '.4f' }, { field: 'end', title: 'running logit', format: '.4f' }],
        },
      },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { x: { field: 'hi', type: 'quantitative' }, text: { field: 'text' } } },
    ],
  };
}
