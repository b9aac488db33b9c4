import * as path from 'node:path';
import { loadConfig } from '../../../shared/config/load';
import { configDefine, runtimeConfig } from '../../../shared/runtime/runtime-config';

const EXAMPLE = loadConfig(path.join(__dirname, '..', '..', '..', 'harbormaster.config.yaml'));

describe('runtimeConfig', () => {
  it('keeps what the functions act on, per repository', () => {
    // Act
    const runtime = runtimeConfig(EXAMPLE);

    // Assess
    expect(runtime.repositories).toEqual(
      EXAMPLE.repositories.map((r) => ({
        name: r.name,
        team: r.team,
        releaseTags: r.releaseTags,
        autoTag: r.autoTag,
        scan: r.scan,
      })),
    );
    expect(runtime.gatedReplication).toEqual(EXAMPLE.gatedReplication);
    expect(runtime.notifications).toEqual(EXAMPLE.notifications);
    expect(runtime.audit).toEqual(EXAMPLE.audit);
    expect(runtime.env).toEqual(EXAMPLE.env);
  });

  it('leaves deploy-time settings and alert emails out of the bundles', () => {
    // Act
    const compiled = JSON.parse(JSON.parse(configDefine(EXAMPLE).__HARBORMASTER_CONFIG__)) as Record<
      string,
      unknown
    >;

    // Assess
    expect(Object.keys(compiled).sort()).toEqual([
      'audit',
      'env',
      'gatedReplication',
      'notifications',
      'repositories',
      'signers',
    ]);
    const text = JSON.stringify(compiled);
    expect(text).not.toContain('@example.com');
    expect(text).not.toContain('arn:aws:iam::');
    expect(text).not.toContain('ecr-pullthroughcache/');
  });

  it('compiles in the signers a repository trusts, and neither other signers nor the signing rules', () => {
    // Prepare
    const anchor = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const config = {
      ...EXAMPLE,
      signing: {
        rules: [{ signingProfileArn: 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release' }],
        signers: {
          release: { type: 'notation' as const, signingProfiles: [], trustAnchors: [anchor] },
          unused: { type: 'cosign' as const, publicKeys: ['-----BEGIN PUBLIC KEY-----'] },
        },
      },
      repositories: EXAMPLE.repositories.map((r, i) =>
        i === 0 ? { ...r, scan: { ...r.scan, requireSignature: true, trustedSigners: ['release'] } } : r,
      ),
    };

    // Act
    const runtime = runtimeConfig(config);

    // Assess
    expect(runtime.signers).toEqual({ release: config.signing.signers.release });
    expect(JSON.stringify(runtime)).not.toContain('signing-profiles/release');
  });
});
