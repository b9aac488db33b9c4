import { PutImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';

/** A small OCI image built in memory: one layer, its config, and the manifest (digest = sha256 of its bytes). */
export interface BuiltImage {
  readonly manifest: string;
  readonly mediaType: string;
  readonly digest: string;
  readonly blobs: readonly { readonly digest: string; readonly data: Buffer; readonly mediaType: string }[];
}

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** A distinct image per seed (its layer holds the seed), so digests differ between images. */
export function buildImage(seed: string, layerBytes = 4096): BuiltImage {
  const layer = Buffer.alloc(layerBytes);
  Buffer.from(`harbormaster sandbox layer ${seed}\n`).copy(layer);
  const layerDigest = sha256(layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
      config: {},
    }),
  );
  const mediaType = 'application/vnd.oci.image.manifest.v1+json';
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(config),
      size: config.length,
    },
    layers: [
      { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size: layer.length },
    ],
  });
  return {
    manifest,
    mediaType,
    digest: sha256(manifest),
    blobs: [
      { digest: sha256(config), data: config, mediaType: 'application/octet-stream' },
      { digest: layerDigest, data: layer, mediaType: 'application/octet-stream' },
    ],
  };
}

function request(
  ca: Buffer,
  method: string,
  url: URL,
  headers: Record<string, string | number>,
  body?: Buffer | string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, ca }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Pushes the blobs and the manifest (by tag, else by digest) to a registry's OCI distribution API over TLS. */
export async function pushToRegistry(
  address: string,
  repository: string,
  image: BuiltImage,
  caFile: string,
  tag?: string,
): Promise<void> {
  const ca = readFileSync(caFile);
  const base = `https://${address}/v2/${repository}`;
  for (const blob of image.blobs) {
    const head = await request(ca, 'HEAD', new URL(`${base}/blobs/${blob.digest}`), {});
    if (head.status === 200) continue;
    const start = await request(ca, 'POST', new URL(`${base}/blobs/uploads/`), { 'Content-Length': 0 });
    if (start.status !== 202)
      throw new Error(`${address}/${repository}: upload start HTTP ${start.status}: ${start.body}`);
    const location = new URL(String(start.headers.location), `https://${address}`);
    location.searchParams.set('digest', blob.digest);
    const put = await request(
      ca,
      'PUT',
      location,
      { 'Content-Type': blob.mediaType, 'Content-Length': blob.data.length },
      blob.data,
    );
    if (put.status !== 201)
      throw new Error(`${address}/${repository}: blob PUT HTTP ${put.status}: ${put.body}`);
  }
  const reference = tag ?? image.digest;
  const put = await request(
    ca,
    'PUT',
    new URL(`${base}/manifests/${reference}`),
    { 'Content-Type': image.mediaType, 'Content-Length': Buffer.byteLength(image.manifest) },
    image.manifest,
  );
  if (put.status !== 201)
    throw new Error(`${address}/${repository}: manifest PUT HTTP ${put.status}: ${put.body}`);
}

/**
 * Registers the image in moto's ECR with its real digest: moto computes its own digest unless PutImage names
 * one, and the events carry the real sha256 of the manifest.
 */
export async function putImageInEcr(
  ecr: ECRClient,
  repository: string,
  image: BuiltImage,
  tag?: string,
): Promise<void> {
  await ecr.send(
    new PutImageCommand({
      repositoryName: repository,
      imageManifest: image.manifest,
      imageManifestMediaType: image.mediaType,
      imageDigest: image.digest,
      ...(tag ? { imageTag: tag } : {}),
    }),
  );
}
