#!/usr/bin/env node
// Writes examples/clicks.csv: a made-up click log of 5,000 ad impressions for examples/files.yaml and the
// README's "Your own data". Deterministic (a seeded PRNG), so running it again writes the same bytes:
//   node scripts/make-clicks.mjs [out.csv] [rows]
//
// Columns: user_id, zip (US zip codes, some with leading zeros: "02139"), device, category, hour (0-23),
// position (1-8, the ad's slot on the page), clicked (0/1, about 11% positives).
// Planted signal, for the wide part to memorize and the deep part to generalize:
// - device x category: mobile x games, desktop x news, tablet x shopping click far more (a cross effect,
//   not the sum of a device effect and a category effect);
// - evenings (19-23h) click more; every slot further down the page clicks less;
// - zips of the 021xx region click more; each user has a propensity of their own.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = process.argv[2] ?? fileURLToPath(new URL('../examples/clicks.csv', import.meta.url));
const rows = Number(process.argv[3] ?? 5000);

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(20240517);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

const ZIPS = ['02139', '02142', '02116', '01002', '00501', '06510', '10001', '10027', '30301', '60614', '73301', '94105', '94301', '98101'];
const DEVICES = ['mobile', 'mobile', 'mobile', 'desktop', 'desktop', 'tablet'];
const CATEGORIES = ['games', 'news', 'sports', 'shopping', 'music', 'travel'];
const PAIRS = { 'mobile games': 2.0, 'desktop news': 1.6, 'tablet shopping': 1.4 };

const users = Array.from({ length: 400 }, (_, i) => ({
  id: `u${String(i + 1).padStart(4, '0')}`,
  zip: pick(ZIPS),
  device: pick(DEVICES),
  propensity: 0.6 * normal(),
}));

const lines = ['user_id,zip,device,category,hour,position,clicked'];
for (let r = 0; r < rows; r++) {
  const u = pick(users);
  const device = rand() < 0.8 ? u.device : pick(DEVICES);
  const category = pick(CATEGORIES);
  const hour = Math.floor(rand() * 24);
  const position = 1 + Math.floor(rand() * 8);
  const logit =
    -2.2 +
    (PAIRS[`${device} ${category}`] ?? 0) +
    (hour >= 19 ? 0.7 : 0) -
    0.25 * (position - 1) +
    (u.zip.startsWith('021') ? 0.6 : 0) +
    u.propensity;
  const clicked = rand() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  lines.push(`${u.id},${u.zip},${device},${category},${hour},${position},${clicked}`);
}
writeFileSync(out, `${lines.join('\n')}\n`);
