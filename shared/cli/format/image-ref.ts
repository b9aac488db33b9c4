import { REPOSITORY_NAME_PATTERN } from '../../config/primitives';
import { CliError } from '../errors';

/** An image as an operator names it: a repository with an optional tag or digest. */
export interface ImageRef {
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
// An ECR registry host in front of the repository (what `docker push` uses) is accepted and dropped.
const ECR_HOST = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

/**
 * Parses REPO, REPO:TAG, REPO@DIGEST (or a full ECR image URI). `require`: any of those (any), a bare
 * repository (repository), a tag (tag), or a tag or digest (tag-or-digest).
 */
export function parseImageRef(
  text: string,
  require: 'any' | 'repository' | 'tag' | 'tag-or-digest' = 'any',
): ImageRef {
  const input = text.trim().replace(ECR_HOST, '');
  let repository = input;
  let tag: string | undefined;
  let digest: string | undefined;
  const at = input.indexOf('@');
  if (at >= 0) {
    repository = input.slice(0, at);
    digest = input.slice(at + 1);
    if (!DIGEST.test(digest))
      throw new CliError(`"${text}": expected a digest such as sha256:<64 hex characters> after @`);
  } else {
    const colon = input.lastIndexOf(':');
    if (colon >= 0) {
      repository = input.slice(0, colon);
      tag = input.slice(colon + 1);
      if (!TAG.test(tag)) throw new CliError(`"${text}": expected an image tag of [A-Za-z0-9._-] after :`);
    }
  }
  if (!REPOSITORY_NAME_PATTERN.test(repository)) {
    throw new CliError(`"${text}": expected an ECR repository name such as payments/api`);
  }
  if (require === 'tag' && !tag)
    throw new CliError(`"${text}": expected REPOSITORY:TAG, e.g. payments/api:v1.4.2`);
  if (require === 'tag-or-digest' && !tag && !digest) {
    throw new CliError(
      `"${text}": expected REPOSITORY:TAG or REPOSITORY@sha256:..., e.g. payments/api:v1.4.2`,
    );
  }
  if (require === 'repository' && (tag || digest)) {
    throw new CliError(`"${text}": expected a repository name without a tag or digest`);
  }
  return { repository, tag, digest };
}

/** payments/api:v1, payments/api@sha256:..., or payments/api. */
export function formatImageRef(ref: ImageRef): string {
  if (ref.tag) return `${ref.repository}:${ref.tag}`;
  if (ref.digest) return `${ref.repository}@${ref.digest}`;
  return ref.repository;
}
