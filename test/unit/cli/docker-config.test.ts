import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dockerCredentials,
  hasCredentialHelperFor,
  type CredentialHelperRunner,
} from '../../../shared/cli/docker-config';

const b64 = (text: string) => Buffer.from(text).toString('base64');

function dockerDir(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'hm-docker-config-'));
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

/** A fake helper that records what it was asked and answers from a table. */
function fakeHelpers(answers: Record<string, Record<string, { Username: string; Secret: string }>>) {
  const calls: [string, string][] = [];
  const runHelper: CredentialHelperRunner = (helper, server) => {
    calls.push([helper, server]);
    const answer = answers[helper]?.[server];
    return answer ? JSON.stringify({ ServerURL: server, ...answer }) : undefined;
  };
  return { calls, runHelper };
}

describe('dockerCredentials', () => {
  it('decodes the auths entry of exactly the host asked for, whatever form its key takes', () => {
    // Prepare
    const env = {
      DOCKER_CONFIG: dockerDir({
        auths: {
          'https://ghcr.io/v2/': { auth: b64('octo:ghp_secret') },
          'registry.example.com:5000': { auth: b64('alice:pa:ss') },
        },
      }),
    };

    // Act / Assess
    expect(dockerCredentials('ghcr.io', { env })).toEqual({ username: 'octo', password: 'ghp_secret' });
    expect(dockerCredentials('registry.example.com:5000', { env })).toEqual({
      username: 'alice',
      password: 'pa:ss',
    });
    // Same name, other port: another origin, no credentials.
    expect(dockerCredentials('registry.example.com', { env })).toBeUndefined();
    expect(dockerCredentials('quay.io', { env })).toBeUndefined();
  });

  it('maps Docker Hub host names to its v1 index key', () => {
    const env = {
      DOCKER_CONFIG: dockerDir({ auths: { 'https://index.docker.io/v1/': { auth: b64('hub:tok') } } }),
    };
    expect(dockerCredentials('registry-1.docker.io', { env })).toEqual({ username: 'hub', password: 'tok' });
    expect(dockerCredentials('docker.io', { env })).toEqual({ username: 'hub', password: 'tok' });
  });

  it('asks the credHelpers entry of the host first, with the host on stdin', () => {
    // Prepare
    const env = {
      DOCKER_CONFIG: dockerDir({
        credHelpers: { '111122223333.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login' },
        auths: { '111122223333.dkr.ecr.eu-west-1.amazonaws.com': { auth: b64('AWS:stale') } },
        credsStore: 'desktop',
      }),
    };
    const { calls, runHelper } = fakeHelpers({
      'ecr-login': { '111122223333.dkr.ecr.eu-west-1.amazonaws.com': { Username: 'AWS', Secret: 'fresh' } },
    });

    // Act
    const creds = dockerCredentials('111122223333.dkr.ecr.eu-west-1.amazonaws.com', { env, runHelper });

    // Assess
    expect(creds).toEqual({ username: 'AWS', password: 'fresh' });
    expect(calls).toEqual([['ecr-login', '111122223333.dkr.ecr.eu-west-1.amazonaws.com']]);
  });

  it('falls back to credsStore for a host with an auths entry that holds no secret (docker login with a store)', () => {
    // Prepare
    const env = { DOCKER_CONFIG: dockerDir({ auths: { 'ghcr.io': {} }, credsStore: 'pass' }) };
    const { calls, runHelper } = fakeHelpers({ pass: { 'ghcr.io': { Username: 'octo', Secret: 's3' } } });

    // Act / Assess
    expect(dockerCredentials('ghcr.io', { env, runHelper })).toEqual({ username: 'octo', password: 's3' });
    expect(calls).toEqual([['pass', 'ghcr.io']]);
  });

  it('goes anonymous for an identity token and when the helper knows nothing', () => {
    const env = { DOCKER_CONFIG: dockerDir({ credsStore: 'desktop' }) };
    const { runHelper } = fakeHelpers({ desktop: { 'ghcr.io': { Username: '<token>', Secret: 'refresh' } } });
    expect(dockerCredentials('ghcr.io', { env, runHelper })).toBeUndefined();
    expect(dockerCredentials('quay.io', { env, runHelper })).toBeUndefined();
  });

  it('no config.json: undefined, and no helper is run', () => {
    const { calls, runHelper } = fakeHelpers({});
    const env = { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'hm-docker-empty-')) };
    expect(dockerCredentials('ghcr.io', { env, runHelper })).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('a broken config.json is named without echoing its content', () => {
    const dir = dockerDir('{"auths": {"ghcr.io": {"auth": "b2N0bzpTRUNSRVQ="}');
    expect(() => dockerCredentials('ghcr.io', { env: { DOCKER_CONFIG: dir } })).toThrow(
      /config\.json is not valid JSON/,
    );
    try {
      dockerCredentials('ghcr.io', { env: { DOCKER_CONFIG: dir } });
    } catch (error) {
      expect((error as Error).message).not.toContain('b2N0bzpTRUNSRVQ');
    }
  });

  it('runs a real docker-credential-<name> program from PATH', () => {
    // Prepare: a helper script that answers for one server only.
    const bin = mkdtempSync(join(tmpdir(), 'hm-helper-bin-'));
    const helper = join(bin, 'docker-credential-hmtest');
    writeFileSync(
      helper,
      '#!/bin/sh\n[ "$1" = get ] || exit 3\nread server\n[ "$server" = "ghcr.io" ] || { echo "credentials not found in native keychain"; exit 1; }\n' +
        'printf \'{"ServerURL":"ghcr.io","Username":"octo","Secret":"from-helper"}\'\n',
    );
    chmodSync(helper, 0o755);
    const env = { DOCKER_CONFIG: dockerDir({ credsStore: 'hmtest' }) };
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}:${savedPath}`;
    try {
      // Act / Assess
      expect(dockerCredentials('ghcr.io', { env })).toEqual({ username: 'octo', password: 'from-helper' });
      expect(dockerCredentials('quay.io', { env })).toBeUndefined();
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('a helper missing from PATH is named', () => {
    const env = { DOCKER_CONFIG: dockerDir({ credHelpers: { 'ghcr.io': 'not-installed-anywhere' } }) };
    expect(() => dockerCredentials('ghcr.io', { env })).toThrow(
      "docker-credential-not-installed-anywhere (named in Docker's config.json) is not on PATH",
    );
  });

  it('reads ~/.docker/config.json when DOCKER_CONFIG is unset', () => {
    const home = mkdtempSync(join(tmpdir(), 'hm-home-'));
    mkdirSync(join(home, '.docker'));
    writeFileSync(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'quay.io': { auth: b64('q:w') } } }),
    );
    expect(dockerCredentials('quay.io', { env: { HOME: home } })).toEqual({ username: 'q', password: 'w' });
  });
});

describe('hasCredentialHelperFor', () => {
  it('is true only for a host with its own credHelpers entry', () => {
    const env = {
      DOCKER_CONFIG: dockerDir({ credHelpers: { 'public.ecr.aws': 'ecr-login' }, credsStore: 'desktop' }),
    };
    expect(hasCredentialHelperFor('public.ecr.aws', { env })).toBe(true);
    expect(hasCredentialHelperFor('111122223333.dkr.ecr.eu-west-1.amazonaws.com', { env })).toBe(false);
  });
});
