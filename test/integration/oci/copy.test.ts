import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CopyError, copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { parseReference } from '../../../shared/oci/reference';
import { OciLayout, type Descriptor } from '../../support/oci-layout';
import {
  exists,
  haveTools,
  inspectRaw,
  seed,
  skopeo,
  startRegistry,
  type RunningRegistry,
} from '../../support/registries';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../shared/cli/harbormaster.js');
const AUTH = { username: 'robot', password: 'pa55:word-Secret' };
const suite = haveTools() ? describe : describe.skip;

suite('copyImage between real registries (docker-registry, checked with skopeo)', () => {
  let plain: RunningRegistry;
  let secure: RunningRegistry;
  let layout: OciLayout;
  let work: string;
  let single: Descriptor;
  let multi: { index: Descriptor; children: Descriptor[] };

  /** Options for plain (HTTP, anonymous) <-> secure (TLS, self-signed, htpasswd). */
  const between = (from: RunningRegistry, src: string, to: RunningRegistry, dst: string): CopyOptions => ({
    source: parseReference(`${from.host}/${src}`),
    destination: parseReference(`${to.host}/${dst}`),
    sourceCredentials: from.auth,
    destinationCredentials: to.auth,
    plainHttp: (host) => host === plain.host,
    insecureTls: true,
  });

  beforeAll(async () => {
    [plain, secure] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: AUTH })]);
    work = await mkdtemp(path.join(os.tmpdir(), 'hm-copy-'));
    layout = new OciLayout(path.join(work, 'layout'));
    // Large enough that one layer takes the chunked PATCH path (chunkSize is 8 MiB below).
    single = await layout.addImage('v1', { layerSizes: [512, 1_500_000, 12_000_000] });
    multi = await layout.addIndex('multi', [
      { layerSizes: [4096, 300_000], architecture: 'amd64' },
      { layerSizes: [4096, 200_000], architecture: 'arm64' },
    ]);
    await seed(layout.dir, 'v1', plain, 'team/app');
    await seed(layout.dir, 'multi', plain, 'team/app');
  });

  afterAll(async () => {
    await Promise.all([plain?.stop(), secure?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('copies a single-arch image from plain HTTP to TLS + basic auth and back, digests unchanged', async () => {
    // Act
    const there = await copyImage({
      ...between(plain, 'team/app:v1', secure, 'mirror/app:v1'),
      chunkSize: 8 * 1024 * 1024,
    });
    const back = await copyImage(between(secure, 'mirror/app:v1', plain, 'returned/app:v1'));

    // Assess
    expect(there).toMatchObject({ digest: single.digest, blobsCopied: 4, blobsSkipped: 0 });
    expect(there.bytesCopied).toBeGreaterThan(13_500_000);
    expect(back.digest).toBe(single.digest);
    expect(JSON.parse(await inspectRaw(secure, 'mirror/app:v1'))).toEqual(
      JSON.parse((await layout.readBlob(single.digest)).toString()),
    );
    // skopeo pulls every blob back out and checks each digest on the way.
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      `docker://${plain.host}/returned/app:v1`,
      `oci:${path.join(work, 'out-single')}:v1`,
    ]);
  });

  it('copies a multi-arch index: both children by digest, then the index under its tag', async () => {
    // Act
    const result = await copyImage(between(plain, 'team/app:multi', secure, 'mirror/app:multi'));

    // Assess
    expect(result.digest).toBe(multi.index.digest);
    expect(result.blobsCopied).toBe(6); // two configs, four layers
    const index = JSON.parse(await inspectRaw(secure, 'mirror/app:multi')) as {
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    expect(index.manifests.map((m) => [m.digest, m.platform.architecture])).toEqual([
      [multi.children[0].digest, 'amd64'],
      [multi.children[1].digest, 'arm64'],
    ]);
    for (const child of multi.children) {
      expect(await inspectRaw(secure, `mirror/app@${child.digest}`)).toBe(
        (await layout.readBlob(child.digest)).toString(),
      );
    }
    await skopeo([
      'copy',
      '--all',
      '--src-tls-verify=false',
      '--src-creds',
      `${AUTH.username}:${AUTH.password}`,
      `docker://${secure.host}/mirror/app:multi`,
      `oci:${path.join(work, 'out-multi')}:multi`,
    ]);
  });

  it('re-copies an image already at the destination without moving a blob byte, and only adds a missing tag', async () => {
    // Prepare
    await copyImage(between(plain, 'team/app:v1', secure, 'again/app:v1'));

    // Act
    const same = await copyImage(between(plain, 'team/app:v1', secure, 'again/app:v1'));
    const newTag = await copyImage(between(plain, 'team/app:v1', secure, 'again/app:stable'));

    // Assess
    expect(same).toMatchObject({ digest: single.digest, bytesCopied: 0, blobsCopied: 0 });
    expect(newTag).toMatchObject({ digest: single.digest, bytesCopied: 0, blobsCopied: 0 });
    expect(JSON.parse(await inspectRaw(secure, 'again/app:stable')).layers).toHaveLength(3);
  });

  it('skips blobs the destination already holds when a different image shares them', async () => {
    // Prepare: the index's children share nothing with v1, but a second tag of v1 into a repo that has its blobs does.
    await copyImage(between(plain, 'team/app:v1', secure, 'shared/app:v1'));
    await skopeo([
      'delete',
      '--tls-verify=false',
      '--creds',
      `${AUTH.username}:${AUTH.password}`,
      `docker://${secure.host}/shared/app:v1`,
    ]);

    // Act
    const result = await copyImage(between(plain, 'team/app:v1', secure, 'shared/app:v1'));

    // Assess: the manifest was gone, the blobs were not.
    expect(result).toMatchObject({ bytesCopied: 0, blobsCopied: 0, blobsSkipped: 4 });
    expect(await exists(secure, 'shared/app:v1')).toBe(true);
  });

  it('mounts blobs across repositories of the same registry instead of streaming them', async () => {
    // Act
    const result = await copyImage(between(plain, 'team/app:v1', plain, 'other/app:v1'));

    // Assess
    expect(result).toMatchObject({ digest: single.digest, bytesCopied: 0, blobsCopied: 0, blobsSkipped: 4 });
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      `docker://${plain.host}/other/app:v1`,
      `oci:${path.join(work, 'out-mount')}:v1`,
    ]);
  });

  it('fails with a clear auth error for wrong credentials, without echoing the password, and writes nothing', async () => {
    // Act
    const failure = await copyImage({
      ...between(plain, 'team/app:v1', secure, 'denied/app:v1'),
      destinationCredentials: { username: AUTH.username, password: 'not-the-password' },
    }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(CopyError);
    expect((failure as CopyError).code).toBe('auth');
    expect((failure as CopyError).message).toMatch(
      /authentication failed at 127\.0\.0\.1:\d+ for denied\/app.*HTTP 401/,
    );
    expect((failure as CopyError).message).not.toContain('not-the-password');
    expect(await exists(secure, 'denied/app:v1')).toBe(false);
  });

  it('says that no credentials were given when a registry requires them', async () => {
    // Act
    const failure = await copyImage({
      ...between(secure, 'mirror/app:v1', plain, 'x/app:v1'),
      sourceCredentials: undefined,
    }).catch((error: unknown) => error);

    // Assess
    expect((failure as CopyError).code).toBe('auth');
    expect((failure as CopyError).message).toContain('no credentials were given');
  });

  it('refuses a self-signed certificate unless told to skip verification', async () => {
    // Act
    const failure = await copyImage({
      ...between(plain, 'team/app:v1', secure, 'tls/app:v1'),
      insecureTls: false,
    }).catch((error: unknown) => error);

    // Assess
    expect((failure as CopyError).code).toBe('tls');
    expect((failure as CopyError).message).toContain('--insecure');
  });

  describe('npx harbormaster copy', () => {
    it('prints exactly one JSON object with --json', async () => {
      // Act
      const { stdout } = await run(process.execPath, [
        CLI,
        'copy',
        `${plain.host}/team/app:v1`,
        `${secure.host}/cli/app:v1`,
        '--src-plain-http',
        '--insecure',
        '--dest-creds',
        `${AUTH.username}:${AUTH.password}`,
        '--json',
      ]);

      // Assess
      const result = JSON.parse(stdout);
      expect(Object.keys(result)).toEqual([
        'digest',
        'bytesCopied',
        'blobsCopied',
        'blobsSkipped',
        'seconds',
      ]);
      expect(result).toMatchObject({ digest: single.digest, blobsCopied: 4, blobsSkipped: 0 });
      expect(stdout.trim().split('\n')).toHaveLength(1);
    });

    it('exits non-zero with one line on stderr for wrong credentials, never echoing them', async () => {
      // Act
      const failure = (await run(process.execPath, [
        CLI,
        'copy',
        `${plain.host}/team/app:v1`,
        `${secure.host}/cli/app:v2`,
        '--src-plain-http',
        '--insecure',
        '--dest-creds',
        'robot:wrong-Secret-42',
        '--json',
      ]).catch((error: unknown) => error)) as { code: number; stdout: string; stderr: string };

      // Assess
      expect(failure.code).toBe(2);
      expect(failure.stdout).toBe('');
      const lines = failure.stderr.split('\n').filter((line) => line.startsWith('harbormaster:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^harbormaster: copy .* failed \(auth\): authentication failed/);
      expect(failure.stderr).not.toContain('wrong-Secret-42');
    });
  });
});
