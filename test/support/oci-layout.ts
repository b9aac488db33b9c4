import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
  annotations?: Record<string, string>;
}

export interface ImageSpec {
  /** Size in bytes of the random file inside each layer tarball. */
  layerSizes: number[];
  architecture?: string;
}

/**
 * Writes images into an OCI image layout directory (oci-layout, index.json, blobs/sha256) with node alone: each
 * layer is a real uncompressed tarball holding one file of random bytes, so every image is unique. skopeo copies
 * them from `oci:DIR:TAG` into a registry.
 */
export class OciLayout {
  private readonly refs: Descriptor[] = [];

  constructor(readonly dir: string) {}

  /** Adds a single-platform image under `tag`; returns its manifest descriptor. */
  async addImage(tag: string, spec: ImageSpec): Promise<Descriptor> {
    const descriptor = await this.writeImage(spec);
    await this.addRef(tag, descriptor);
    return descriptor;
  }

  /** Adds an image index with one image per platform under `tag`; returns the index descriptor and its children. */
  async addIndex(
    tag: string,
    platforms: ImageSpec[],
  ): Promise<{ index: Descriptor; children: Descriptor[] }> {
    const children: Descriptor[] = [];
    for (const spec of platforms) {
      const child = await this.writeImage(spec);
      children.push({ ...child, platform: { architecture: spec.architecture ?? 'amd64', os: 'linux' } });
    }
    const index = await this.writeJson(OCI_INDEX, {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: children,
    });
    await this.addRef(tag, index);
    return { index, children };
  }

  private async writeImage(spec: ImageSpec): Promise<Descriptor> {
    await this.ensureLayout();
    const layers: Descriptor[] = [];
    for (const [position, size] of spec.layerSizes.entries())
      layers.push(await this.writeLayer(`layer-${position}.bin`, size));
    const architecture = spec.architecture ?? 'amd64';
    const config = await this.writeJson(OCI_CONFIG, {
      architecture,
      os: 'linux',
      created: new Date(0).toISOString(),
      config: { Env: ['PATH=/usr/bin'] },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
    });
    return this.writeJson(OCI_MANIFEST, { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers });
  }

  /** Streams a tarball (one file of random bytes) to disk, hashing as it goes; never holds the layer in memory. */
  private async writeLayer(name: string, size: number): Promise<Descriptor> {
    const temp = path.join(this.dir, 'blobs', `tmp-${randomBytes(8).toString('hex')}`);
    const out = createWriteStream(temp);
    const hash = createHash('sha256');
    let total = 0;
    const write = async (chunk: Buffer) => {
      hash.update(chunk);
      total += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    };
    await write(tarHeader(name, size));
    for (let left = size; left > 0;) {
      const piece = Math.min(left, 1024 * 1024);
      await write(randomBytes(piece));
      left -= piece;
    }
    const padding = (512 - (size % 512)) % 512;
    await write(Buffer.alloc(padding + 1024)); // pad the file, then two empty blocks end the archive
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    const hex = hash.digest('hex');
    await rename(temp, path.join(this.dir, 'blobs', 'sha256', hex));
    return { mediaType: OCI_LAYER_TAR, digest: `sha256:${hex}`, size: total };
  }

  private async writeJson(mediaType: string, value: unknown): Promise<Descriptor> {
    const bytes = Buffer.from(JSON.stringify(value));
    const hex = createHash('sha256').update(bytes).digest('hex');
    await writeFile(path.join(this.dir, 'blobs', 'sha256', hex), bytes);
    return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
  }

  private async addRef(tag: string, descriptor: Descriptor): Promise<void> {
    this.refs.push({ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': tag } });
    await writeFile(
      path.join(this.dir, 'index.json'),
      JSON.stringify({ schemaVersion: 2, manifests: this.refs }),
    );
  }

  private async ensureLayout(): Promise<void> {
    await mkdir(path.join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(path.join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }

  /** Reads a blob of the layout (small ones: manifests and configs). */
  async readBlob(digest: string): Promise<Buffer> {
    return readFile(path.join(this.dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
  }
}

/** A ustar header for one regular file. */
function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'ascii'); // mode
  header.write('0000000\0', 108, 'ascii'); // uid
  header.write('0000000\0', 116, 'ascii'); // gid
  header.write(size.toString(8).padStart(11, '0') + '\0', 124, 'ascii');
  header.write('00000000000\0', 136, 'ascii'); // mtime
  header.write('        ', 148, 'ascii'); // checksum placeholder: spaces while summing
  header.write('0', 156, 'ascii'); // regular file
  header.write('ustar\0' + '00', 257, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return header;
}
