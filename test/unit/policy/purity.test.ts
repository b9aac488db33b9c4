import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('decisions stay pure', () => {
  const files = [...sources('shared/events'), ...sources('shared/policy'), 'shared/cli/commands/simulate.ts'];

  it('finds the modules it guards', () => {
    expect(files).toEqual(
      expect.arrayContaining(['shared/events/parse.ts', 'shared/policy/verdict.ts', 'shared/policy/plan.ts']),
    );
  });

  it.each(files)('%s imports no AWS SDK and no runtime environment', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(text).not.toMatch(/from '@aws-sdk\//);
    expect(text).not.toMatch(/require\('@aws-sdk\//);
    expect(text).not.toMatch(/process\.env/);
  });
});
