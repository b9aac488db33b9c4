import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../../shared/config/load';
import { problemsOf } from '../config/problems';

const PROFILE = 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release';
const PUBLIC_KEY = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  .publicKey.export({ type: 'spki', format: 'pem' })
  .toString();
// Any well-formed certificate will do for the schema; a real one is generated in the verification tests.
const BAD_CERT = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

function document(signing: Record<string, unknown> | undefined, scan: Record<string, unknown> = {}) {
  return {
    env: { region: 'eu-west-1', account: '111122223333' },
    teams: { payments: {} },
    repositories: [{ name: 'payments/api', team: 'payments', scan }],
    ...(signing ? { signing } : {}),
  };
}

describe('signing config', () => {
  it('accepts managed signing rules, signers and a repository requiring a signature', () => {
    const config = parseConfig(
      document(
        {
          rules: [{ signingProfileArn: PROFILE, repositoryFilters: ['payments/*'] }],
          signers: { ci: { type: 'cosign', publicKeys: [PUBLIC_KEY] } },
        },
        { requireSignature: true, trustedSigners: ['ci'] },
      ),
      'test.yaml',
    );

    expect(config.signing).toEqual({
      rules: [{ signingProfileArn: PROFILE, repositoryFilters: ['payments/*'] }],
      signers: { ci: { type: 'cosign', publicKeys: [PUBLIC_KEY] } },
    });
    expect(config.repositories[0].scan).toMatchObject({ requireSignature: true, trustedSigners: ['ci'] });
  });

  it('names the field of a profile ARN in another region or account', () => {
    const other = 'arn:aws:signer:us-east-1:444455556666:/signing-profiles/release';

    expect(problemsOf(document({ rules: [{ signingProfileArn: other }] }))).toEqual([
      "signing.rules[0].signingProfileArn: expected a signing profile in the registry's region eu-west-1, got us-east-1",
      "signing.rules[0].signingProfileArn: expected a signing profile of the registry's account 111122223333, got 444455556666",
    ]);
  });

  it('names the field of a malformed profile ARN', () => {
    expect(problemsOf(document({ rules: [{ signingProfileArn: 'arn:aws:signer:eu-west-1:1:/x' }] }))).toEqual(
      [
        'signing.rules[0].signingProfileArn: expected an AWS Signer signing profile ARN such as arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release, got "arn:aws:signer:eu-west-1:1:/x"',
      ],
    );
  });

  it('enforces the ECR limits: 10 rules, 1-100 filters per rule', () => {
    const rules = Array.from({ length: 11 }, () => ({ signingProfileArn: PROFILE }));
    const filters = Array.from({ length: 101 }, (_, i) => `team${i}/*`);

    expect(problemsOf(document({ rules }))).toEqual([
      'signing.rules: expected at most 10 signing rules (the ECR limit), got an array of 11',
    ]);
    expect(
      problemsOf(document({ rules: [{ signingProfileArn: PROFILE, repositoryFilters: filters }] })),
    ).toEqual([
      'signing.rules[0].repositoryFilters: expected at most 100 filters per signing rule, got an array of 101',
    ]);
    expect(problemsOf(document({ rules: [{ signingProfileArn: PROFILE, repositoryFilters: [] }] }))).toEqual([
      'signing.rules[0].repositoryFilters: expected at least one filter (omit repositoryFilters to sign every repository), got an array of 0',
    ]);
  });

  it('names the trust anchor that does not parse', () => {
    const signers = { aws: { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [BAD_CERT] } };

    expect(problemsOf(document({ signers }))).toEqual([
      expect.stringMatching(/^signing\.signers\.aws\.trustAnchors\[0\]: certificate 1 does not parse \(/),
    ]);
  });

  it('names a trusted signer that is not defined', () => {
    const signers = { ci: { type: 'cosign', publicKeys: [PUBLIC_KEY] } };

    expect(problemsOf(document({ signers }, { requireSignature: true, trustedSigners: ['aws'] }))).toEqual([
      'repositories[0].scan.trustedSigners[0]: expected a key of signing.signers, got "aws" (defined: ci)',
    ]);
  });

  it('requires a trusted signer when requireSignature is true', () => {
    expect(problemsOf(document(undefined, { requireSignature: true }))).toEqual([
      'repositories[0].scan.trustedSigners: expected at least one trusted signer when requireSignature is true',
    ]);
  });

  it('names a signer of an unknown type', () => {
    expect(problemsOf(document({ signers: { x: { type: 'gpg' } } }))).toEqual([
      'signing.signers.x.type: expected a trusted signer with type notation or cosign, got an object',
    ]);
  });
});
