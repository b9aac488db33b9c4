import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CopyError, copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { parseReference } from '../../../shared/oci/reference';
import { OciLayout, type Descriptor } from '../../support/oci-layout';
import {
  exists,
  haveTools,
  seed,
  skopeo,
  startRegistry,
  type RunningRegistry,
} from '../../support/registries';

const AUTH = { username: 'robot', password: 'resilient-Secret' };
const MiB = 1024 * 1024;
const suite = haveTools() ? describe : describe.skip;

suite('copyImage when things go wrong (real registries)', () => {
  let source: RunningRegistry;
  let destination: RunningRegistry;
  let work: string;
  let layout: OciLayout;
  let big: Descriptor;
  let corruptSmall: Descriptor;
  let corruptLarge: Descriptor;

  const options = (src: string, dst: string): CopyOptions => ({
    source: parseReference(`${source.host}/${src}`),
    destination: parseReference(`${destination.host}/${dst}`),
    destinationCredentials: AUTH,
    plainHttp: (host) => host === source.host,
    insecureTls: true,
    chunkSize: 8 * MiB,
  });

  /** Overwrites a blob's bytes in the source registry's storage with random bytes of the same length. */
  const corrupt = async (digest: string) => {
    const file = source.blobPath(digest);
    await writeFile(file, randomBytes((await stat(file)).size));
  };

  const layersOf = async (image: Descriptor) =>
    (JSON.parse((await layout.readBlob(image.digest)).toString()) as { layers: Descriptor[] }).layers;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: AUTH })]);
    work = await mkdtemp(path.join(os.tmpdir(), 'hm-resilience-'));
    layout = new OciLayout(path.join(work, 'layout'));
    big = await layout.addImage('big', { layerSizes: [2048, 64 * MiB] });
    corruptSmall = await layout.addImage('corrupt-small', { layerSizes: [700_000] });
    corruptLarge = await layout.addImage('corrupt-large', { layerSizes: [1024, 20 * MiB] });
    for (const tag of ['big', 'corrupt-small', 'corrupt-large'])
      await seed(layout.dir, tag, source, 'team/app');
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('completes when the destination registry is killed mid-upload and restarted', async () => {
    // Prepare: kill the destination once 20 MiB of the 64 MiB layer have been sent, bring it back 800 ms later.
    let outage: Promise<void> | undefined;
    const copy = options('team/app:big', 'crash/app:big');

    // Act
    const result = await copyImage({
      ...copy,
      retry: { attempts: 10, baseDelayMs: 200 },
      onProgress: (progress) => {
        if (!outage && progress.bytesDone > 20 * MiB) {
          outage = (async () => {
            await destination.kill();
            await new Promise((resolve) => setTimeout(resolve, 800));
            await destination.restart();
          })();
        }
      },
    });
    await outage;

    // Assess
    expect(outage).toBeDefined();
    expect(result).toMatchObject({ digest: big.digest, blobsCopied: 3 });
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `${AUTH.username}:${AUTH.password}`,
      `docker://${destination.host}/crash/app:big`,
      `oci:${path.join(work, 'out-crash')}:big`,
    ]);
  });

  it('fails with a network error when the destination stays down, and a later run completes the copy', async () => {
    // Prepare
    let outage: Promise<void> | undefined;

    // Act
    const failure = await copyImage({
      ...options('team/app:big', 'down/app:big'),
      retry: { attempts: 2, baseDelayMs: 50 },
      onProgress: (progress) => {
        if (!outage && progress.bytesDone > 10 * MiB) outage = destination.kill();
      },
    }).catch((error: unknown) => error);
    await outage;
    await destination.restart();
    const tagAfterFailure = await exists(destination, 'down/app:big');
    const again = await copyImage(options('team/app:big', 'down/app:big'));

    // Assess
    expect((failure as CopyError).code).toBe('network');
    expect(tagAfterFailure).toBe(false);
    expect(again.digest).toBe(big.digest);
    expect(await exists(destination, 'down/app:big')).toBe(true);
  });

  it.each([
    ['a small blob (monolithic PUT)', () => corruptSmall, 'corrupt-small'],
    ['a large blob (chunked PATCH)', () => corruptLarge, 'corrupt-large'],
  ])(
    'aborts with digest-mismatch on a corrupted source blob, %s, and writes no tag',
    async (_name, image, tag) => {
      // Prepare
      const layers = await layersOf(image());
      const victim = layers[layers.length - 1];
      await corrupt(victim.digest);

      // Act
      const failure = await copyImage(options(`team/app:${tag}`, `corrupt/app:${tag}`)).catch(
        (error: unknown) => error,
      );

      // Assess
      expect(failure).toBeInstanceOf(CopyError);
      expect((failure as CopyError).code).toBe('digest-mismatch');
      expect((failure as CopyError).message).toContain(victim.digest);
      expect(await exists(destination, `corrupt/app:${tag}`)).toBe(false);
      expect(await exists(destination, `corrupt/app@${image().digest}`)).toBe(false);
    },
  );
});
