import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { Rng } from '../../src/core/rng.js';

/**
 * Adult-shaped data without the real files: rows with the columns, value sets and numeric ranges of UCI Adult
 * (census income), written as a CSV, and examples/adult.yaml's features and model trained on them for one
 * epoch. The bundle has what the real one has: vocabularies, hash buckets, bucketized and log1p numerics,
 * three-way crosses, 8-dim embeddings.
 */

const VALUES = {
  workclass: ['Private', 'Self-emp-not-inc', 'Local-gov', 'State-gov', '?', 'Federal-gov'],
  education: ['HS-grad', 'Some-college', 'Bachelors', 'Masters', 'Assoc-voc', '11th', 'Doctorate', 'Prof-school'],
  marital_status: ['Married-civ-spouse', 'Never-married', 'Divorced', 'Separated', 'Widowed'],
  occupation: ['Prof-specialty', 'Craft-repair', 'Exec-managerial', 'Adm-clerical', 'Sales', 'Other-service', '?'],
  relationship: ['Husband', 'Not-in-family', 'Own-child', 'Unmarried', 'Wife'],
  race: ['White', 'Black', 'Asian-Pac-Islander', 'Amer-Indian-Eskimo', 'Other'],
  gender: ['Male', 'Female'],
  native_country: ['United-States', 'Mexico', 'Philippines', 'Germany', 'Canada', 'India'],
} as const;

export const ADULT_LIKE_COLUMNS = ['age', 'workclass', 'fnlwgt', 'education', 'education_num', 'marital_status', 'occupation', 'relationship', 'race', 'gender', 'capital_gain', 'capital_loss', 'hours_per_week', 'native_country', 'income_bracket'];

/** One Adult-shaped row (label included); the income depends on education, marriage, age and capital gain. */
export function adultLikeRow(rng: Rng): Record<string, string | number> {
  const pick = (k: keyof typeof VALUES): string => VALUES[k][rng.int(VALUES[k].length)] as string;
  const row: Record<string, string | number> = { age: 17 + rng.int(70), fnlwgt: 20_000 + rng.int(500_000), education_num: 1 + rng.int(16), hours_per_week: 1 + rng.int(99) };
  for (const k of Object.keys(VALUES) as (keyof typeof VALUES)[]) row[k] = pick(k);
  row.capital_gain = rng.uniform() < 0.9 ? 0 : rng.int(99_999);
  row.capital_loss = rng.uniform() < 0.95 ? 0 : rng.int(4_356);
  const score = (row.education === 'Masters' || row.education === 'Doctorate' ? 1.5 : 0) + (row.marital_status === 'Married-civ-spouse' ? 1 : 0) + (Number(row.age) > 35 ? 0.7 : 0) + (Number(row.capital_gain) > 5000 ? 2 : 0);
  row.income_bracket = rng.uniform() < 1 / (1 + Math.exp(2 - score)) ? '>50K' : '<=50K';
  return row;
}

/** Writes `rows` Adult-shaped rows as dir/adult-like.csv and returns examples/adult.yaml's run config over it (1 epoch). */
export function adultLikeConfig(dir: string, rows: number, seed = 7): Record<string, unknown> {
  const rng = new Rng(seed);
  const lines = [ADULT_LIKE_COLUMNS.join(',')];
  for (let i = 0; i < rows; i++) {
    const r = adultLikeRow(rng);
    lines.push(ADULT_LIKE_COLUMNS.map((c) => r[c]).join(','));
  }
  const csv = join(dir, 'adult-like.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const config = parse(readFileSync(resolve(import.meta.dirname, '../../examples/adult.yaml'), 'utf8')) as Record<string, unknown>;
  return { ...config, data: { dataset: 'files', train: { path: csv }, testFraction: 0.2 }, train: { epochs: 1, batchSize: 256, validationFraction: 0.1 } };
}
