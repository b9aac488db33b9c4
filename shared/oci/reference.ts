/** Where an image lives: a registry host, a repository path and a tag and/or a digest. */
export interface ImageReference {
  /** Registry host with optional port, e.g. `127.0.0.1:5001`, `ghcr.io`, `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  registry: string;
  /** Repository path inside the registry, e.g. `team/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Thrown when a reference string is not `HOST/REPO[:TAG][@sha256:HEX]`. */
export class ReferenceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReferenceError';
  }
}

const DOCKER_HUB = 'docker.io';
const REPOSITORY_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Parses `127.0.0.1:5001/team/app:v1`, `ghcr.io/org/app@sha256:...`, `registry/app:v1@sha256:...`.
 * As with docker, a first path component without `.` or `:` (and not `localhost`) means Docker Hub, and a
 * reference with neither tag nor digest means the `latest` tag.
 */
export function parseReference(text: string): ImageReference {
  const input = text.trim();
  if (input === '')
    throw new ReferenceError('image reference is empty; expected HOST/REPOSITORY[:TAG][@sha256:DIGEST]');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw new ReferenceError(
        `image reference "${input}": digest must be sha256: followed by 64 lowercase hex digits`,
      );
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw new ReferenceError(
        `image reference "${input}": tag "${tag}" is not valid (letters, digits, _ . -; at most 128)`,
      );
    }
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift() as string;
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (parts.length === 0 || !parts.every((part) => REPOSITORY_COMPONENT.test(part))) {
    throw new ReferenceError(
      `image reference "${input}": repository "${repository}" is not valid (lowercase path components separated by /)`,
    );
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** Formats a reference back to its canonical text form. */
export function formatReference(reference: ImageReference): string {
  const base = `${reference.registry}/${reference.repository}`;
  return `${base}${reference.tag ? `:${reference.tag}` : ''}${reference.digest ? `@${reference.digest}` : ''}`;
}

/** The host the distribution API answers on (Docker Hub's API is not at docker.io itself). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
}

// 123456789012.dkr.ecr.eu-west-1.amazonaws.com, FIPS (dkr.ecr-fips), China (amazonaws.com.cn), dual-stack (dkr-ecr.*.on.aws).
const ECR_HOST =
  /^(\d{12})\.(?:dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?|dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws)$/;

/** Returns the account and region of an Amazon ECR private registry host, or undefined for any other host. */
export function isEcrHost(host: string): { accountId: string; region: string } | undefined {
  const match = ECR_HOST.exec(host.toLowerCase().replace(/:443$/, ''));
  if (!match) return undefined;
  return { accountId: match[1], region: (match[2] ?? match[3]) as string };
}
