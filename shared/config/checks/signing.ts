import { compileSigners, TrustConfigError } from '../../signing/trust';
import type { ConfigCheck, ConfigProblem } from './types';

/** `arn:PARTITION:signer:REGION:ACCOUNT:/signing-profiles/NAME` -> region and account. */
function arnParts(arn: string): { region: string; account: string } {
  const [, , , region, account] = arn.split(':');
  return { region, account };
}

/**
 * Signing: ECR signs with a profile of its own account and region; PEMs must parse (a bad trust anchor would
 * otherwise fail every verdict at run time); a repository's trusted signers exist, and requiring a signature
 * needs at least one of them.
 */
export const signing: ConfigCheck = (config) => {
  const problems: ConfigProblem[] = [];
  const { region, account } = config.env;
  config.signing?.rules.forEach((rule, i) => {
    const path = ['signing', 'rules', i, 'signingProfileArn'];
    const arn = arnParts(rule.signingProfileArn);
    if (arn.region !== region) {
      problems.push({
        path,
        message: `expected a signing profile in the registry's region ${region}, got ${arn.region}`,
      });
    }
    if (account && arn.account !== account) {
      problems.push({
        path,
        message: `expected a signing profile of the registry's account ${account}, got ${arn.account}`,
      });
    }
  });
  const signers = config.signing?.signers ?? {};
  for (const [name, signer] of Object.entries(signers)) {
    try {
      compileSigners({ [name]: signer });
    } catch (error) {
      if (!(error instanceof TrustConfigError)) throw error;
      const field = error.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
      problems.push({ path: field, message: error.message.slice(error.field.length + 2) });
    }
  }
  config.repositories.forEach((repository, i) => {
    const at = ['repositories', i, 'scan', 'trustedSigners'];
    const trusted = repository.scan.trustedSigners ?? [];
    trusted.forEach((name, j) => {
      if (!(name in signers)) {
        const known = Object.keys(signers);
        problems.push({
          path: [...at, j],
          message: `expected a key of signing.signers, got "${name}"${known.length ? ` (defined: ${known.join(', ')})` : ' (signing.signers is empty)'}`,
        });
      }
    });
    if (repository.scan.requireSignature && trusted.length === 0) {
      problems.push({
        path: at,
        message: 'expected at least one trusted signer when requireSignature is true',
      });
    }
  });
  return problems;
};
