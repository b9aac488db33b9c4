import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTls } from '../../sandbox/tls';
import { haveTools } from '../support/registries';

const run = promisify(execFile);
// Under CI=true a missing openssl fails (haveTools throws) rather than skipping.
const suite = haveTools(['openssl']) ? describe : describe.skip;

// A clock far from today's: nothing here may depend on when the test runs. 2032 is a leap year (365 days).
const NOW = new Date('2031-06-01T12:00:00.000Z');
const DAY = 24 * 3600;

suite("the sandbox's certificates", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hm-sandbox-tls-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('are valid from a year before the sandbox clock to a year after, so processes on another clock accept them', async () => {
    // Act
    const tls = await createTls(dir, ['ghcr.io', '*.dkr.ecr.eu-west-1.amazonaws.com'], NOW);

    // Assess
    const dates = async (file: string) =>
      (await run('openssl', ['x509', '-in', file, '-noout', '-startdate', '-enddate'])).stdout;
    const expected = 'notBefore=Jun  1 12:00:00 2030 GMT\nnotAfter=May 31 12:00:00 2032 GMT\n';
    expect(await dates(tls.caFile)).toBe(expected);
    expect(await dates(tls.certFile)).toBe(expected);
    const { stdout: names } = await run('openssl', [
      'x509',
      '-in',
      tls.certFile,
      '-noout',
      '-ext',
      'subjectAltName',
    ]);
    expect(names).toContain('DNS:ghcr.io, DNS:*.dkr.ecr.eu-west-1.amazonaws.com, IP Address:127.0.0.1');
    // The chain verifies at a clock 180 days behind the sandbox's and one 180 days ahead of it.
    for (const offsetDays of [-180, 180]) {
      const at = String(Math.floor(NOW.getTime() / 1000) + offsetDays * DAY);
      const { stdout } = await run('openssl', ['verify', '-attime', at, '-CAfile', tls.caFile, tls.certFile]);
      expect(stdout.trim()).toBe(`${tls.certFile}: OK`);
    }
  });
});
