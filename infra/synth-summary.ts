import { type Stack, Token } from 'aws-cdk-lib';

/** What the app prints to stderr after a synth: the stacks, their regions, cdk-nag, and what to run next. */
export function synthSummary(stacks: readonly Stack[], nagViolations: number): string {
  const where = (stack: Stack) => ({
    account: Token.isUnresolved(stack.account) ? 'ACCOUNT' : stack.account,
    region: Token.isUnresolved(stack.region) ? 'REGION' : stack.region,
  });
  const width = Math.max(...stacks.map((s) => s.stackName.length));
  const environments = [...new Set(stacks.map((s) => `aws://${where(s).account}/${where(s).region}`))];
  const lines = [
    `Harbormaster: ${stacks.length} stacks synthesized`,
    ...stacks.map((s) => `  ${s.stackName.padEnd(width)}  ${where(s).region}  (account ${where(s).account})`),
    // Printed only after a synth that passed: an unacknowledged error makes the synth throw first.
    `cdk-nag (AwsSolutions, Serverless): passed on ${stacks.length} stacks` +
      (nagViolations > 0 ? `, ${nagViolations} warnings (listed by the CDK)` : ''),
    'Next:',
    `  npx cdk bootstrap ${environments.join(' ')}`,
    '  npx cdk deploy --all',
  ];
  if (environments.some((e) => e.includes('ACCOUNT'))) {
    lines.push(
      '  (ACCOUNT: your account id, `aws sts get-caller-identity`; or set env.account in the config)',
    );
  }
  return `${lines.join('\n')}\n`;
}
