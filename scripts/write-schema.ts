// Writes schema/widedeep-config.schema.json, the JSON Schema of a run config, from the zod schemas
// (`npm run schema`; test/train/run-config-schema.test.ts fails when the checked-in file is stale).
import { writeFileSync } from 'node:fs';
import { runConfigJsonSchemaText } from '../src/train/run-config-schema.js';

const file = new URL('../schema/widedeep-config.schema.json', import.meta.url);
writeFileSync(file, runConfigJsonSchemaText());
process.stdout.write(`wrote ${file.pathname}\n`);
