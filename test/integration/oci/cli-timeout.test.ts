import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { HostileRegistry } from '../../support/hostile-registry';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../shared/cli/harbormaster.js');

describe('harbormaster copy --timeout', () => {
  let source: HostileRegistry;
  let destination: HostileRegistry;

  beforeEach(async () => {
    // The source accepts every manifest request and never answers: only the timeout ends the copy.
    source = await new HostileRegistry({ name: 'source', intercept: () => true }).start();
    destination = await new HostileRegistry({ name: 'destination' }).start();
  });

  afterEach(async () => {
    await Promise.all([source.stop(), destination.stop()]);
  });

  it('fails with one line naming the timeout, exit code 3 (gave up waiting)', async () => {
    // Act
    const failure = await run(process.execPath, [
      CLI,
      'copy',
      `${source.host}/team/app:v1`,
      `${destination.host}/mirror/app:v1`,
      '--plain-http',
      '--timeout',
      '1s',
    ]).catch((error: { code: number; stderr: string }) => error);

    // Assess
    const { code, stderr } = failure as { code: number; stderr: string };
    expect(code).toBe(3);
    expect(stderr.trim().split('\n')).toEqual([
      `harbormaster: copy ${source.host}/team/app:v1 failed (timeout): the copy did not finish within its timeout of 1s`,
    ]);
    expect(source.requests.length).toBeGreaterThanOrEqual(1);
    expect(destination.requests).toEqual([]);
  });

  it('refuses a malformed --timeout before any request', async () => {
    // Act
    const failure = await run(process.execPath, [
      CLI,
      'copy',
      `${source.host}/team/app:v1`,
      `${destination.host}/mirror/app:v1`,
      '--timeout',
      'soon',
    ]).catch((error: { code: number; stderr: string }) => error);

    // Assess
    const { code, stderr } = failure as { code: number; stderr: string };
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'harbormaster: --timeout must be a duration such as 90s, 10m or 1h30m, got "soon"',
    );
    expect(source.requests).toEqual([]);
  });
});
