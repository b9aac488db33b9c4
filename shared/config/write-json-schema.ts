import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { configSchema } from './schema';

/** Writes harbormaster.schema.json for editor completion (`npm run schema`). A test keeps it current. */
export function configJsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' });
}

if (require.main === module) {
  writeFileSync('harbormaster.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}
