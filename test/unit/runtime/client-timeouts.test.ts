import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AWS_CLIENT_CONFIG } from '../../../shared/runtime/aws-client-config';

const FUNCTIONS_DIR = path.join(__dirname, '..', '..', '..', 'functions');

/** Every `new XxxClient(...)` in a function's entry, with what it is given. */
function clientConstructions(): { file: string; args: string }[] {
  return readdirSync(FUNCTIONS_DIR).flatMap((name) => {
    const file = path.join(name, 'index.ts');
    const text = readFileSync(path.join(FUNCTIONS_DIR, file), 'utf8');
    return [...text.matchAll(/new (\w+Client)\(([^)]*)\)/g)].map((m) => ({ file, args: m[2] }));
  });
}

describe('AWS SDK clients of the functions', () => {
  it('set connect and request timeouts well inside the function timeouts', () => {
    expect(AWS_CLIENT_CONFIG.requestHandler).toEqual({ connectionTimeout: 3_000, requestTimeout: 10_000 });
  });

  it('are all created with AWS_CLIENT_CONFIG, so a hung call fails its record instead of the whole batch', () => {
    // Act
    const clients = clientConstructions();

    // Assess
    expect(clients.length).toBeGreaterThanOrEqual(8);
    expect(clients.filter((c) => !c.args.includes('AWS_CLIENT_CONFIG'))).toEqual([]);
  });
});
