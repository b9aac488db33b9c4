import { createHash } from 'node:crypto';

/** Pushes blobs and manifests to a test registry over the distribution API (plain HTTP on loopback). */
export class Seeder {
  constructor(
    private readonly host: string,
    private readonly repository: string,
  ) {}

  private url(path: string): string {
    return `http://${this.host}/v2/${this.repository}/${path}`;
  }

  async blob(bytes: Buffer | string): Promise<{ digest: string; size: number }> {
    const data = Buffer.from(bytes);
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const started = await fetch(this.url('blobs/uploads/'), { method: 'POST' });
    if (started.status !== 202) throw new Error(`upload start: HTTP ${started.status}`);
    const location = new URL(started.headers.get('location') as string, this.url(''));
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      body: data,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (put.status !== 201) throw new Error(`upload ${digest}: HTTP ${put.status} ${await put.text()}`);
    return { digest, size: data.length };
  }

  /** PUTs a manifest under a tag or its own digest; returns its descriptor. */
  async manifest(
    body: Record<string, unknown>,
    reference?: string,
  ): Promise<{ mediaType: string; digest: string; size: number }> {
    const bytes = Buffer.from(JSON.stringify(body));
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const mediaType = body.mediaType as string;
    const response = await fetch(this.url(`manifests/${reference ?? digest}`), {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': mediaType },
    });
    if (response.status !== 201)
      throw new Error(`manifest ${reference ?? digest}: HTTP ${response.status} ${await response.text()}`);
    return { mediaType, digest, size: bytes.length };
  }

  /** A one-layer OCI image for a platform; returns the manifest descriptor. */
  async image(architecture: string, tag?: string) {
    const config = await this.blob(
      JSON.stringify({ architecture, os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    const layer = await this.blob(`layer for ${architecture} ${Math.random()}`);
    return this.manifest(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
      },
      tag,
    );
  }

  /**
   * Pushes an OCI 1.1 artifact manifest with `subject` (as notation and cosign 3 do) and returns its descriptor
   * with the artifactType, for the referrers tag-schema index.
   */
  async referrer(
    subject: { mediaType: string; digest: string; size: number },
    artifactType: string,
    layerMediaType: string,
    content: Buffer,
  ) {
    const empty = await this.blob('{}');
    const layer = await this.blob(content);
    const descriptor = await this.manifest({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      artifactType,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', ...empty },
      layers: [{ mediaType: layerMediaType, ...layer }],
      subject,
      annotations: { 'org.opencontainers.image.created': '2026-11-30T10:00:00Z' },
    });
    return { ...descriptor, artifactType };
  }

  /** Writes the referrers tag-schema index `sha256-<hex>` (what clients do on a registry without the API). */
  async referrersIndex(subjectDigest: string, manifests: Record<string, unknown>[]) {
    return this.manifest(
      { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests },
      subjectDigest.replace(':', '-'),
    );
  }

  /** The cosign `.sig` tag: one simple-signing layer per signature, the signature in its annotation. */
  async cosignSignatureTag(subjectDigest: string, signatures: { payload: Buffer; signature: string }[]) {
    const config = await this.blob(
      JSON.stringify({ architecture: '', os: '', rootfs: { type: 'layers', diff_ids: [] } }),
    );
    const layers = [];
    for (const { payload, signature } of signatures) {
      const blob = await this.blob(payload);
      layers.push({
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        ...blob,
        annotations: { 'dev.cosignproject.cosign/signature': signature },
      });
    }
    return this.manifest(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      },
      `${subjectDigest.replace(':', '-')}.sig`,
    );
  }
}
