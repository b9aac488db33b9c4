import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { describeFields } from './field-docs';
import { configSchema } from './schema';

/** Writes harbormaster.schema.json for editor completion and hover help (`npm run schema`). A test keeps it current. */
export function configJsonSchema(): object {
  const schema = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  describeFields(schema);
  const { $schema, ...rest } = schema;
  return {
    $schema,
    title: 'Harbormaster config',
    description:
      'harbormaster.config.yaml: governed ECR repositories and their automation. Reference: docs/config.md',
    ...rest,
  };
}

if (require.main === module) {
  writeFileSync('harbormaster.schema.json', `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}
