import { type Stack, Token } from 'aws-cdk-lib';
import { HarbormasterDestinationStack } from './stacks/destination-stack';

/** What the app prints to stderr after a synth: the stacks, their regions, cdk-nag, and what to run next. */
export function synthSummary(stacks: readonly Stack[], nagViolations: number): string {
  const where = (stack: Stack) => ({
    account: Token.isUnresolved(stack.account) ? 'ACCOUNT' : stack.account,
    region: Token.isUnresolved(stack.region) ? 'REGION' : stack.region,
  });
  const width = Math.max(...stacks.map((s) => s.stackName.length));
  const envOf = (stack: Stack) => `aws://${where(stack).account}/${where(stack).region}`;
  const environments = [...new Set(stacks.map(envOf))];
  const lines = [
    `Harbormaster: ${stacks.length} stacks synthesized`,
    ...stacks.map((s) => `  ${s.stackName.padEnd(width)}  ${where(s).region}  (account ${where(s).account})`),
    // Printed only after a synth that passed: an unacknowledged error makes the synth throw first.
    `cdk-nag (AwsSolutions, Serverless): passed on ${stacks.length} stacks` +
      (nagViolations > 0 ? `, ${nagViolations} warnings (listed by the CDK)` : ''),
  ];
  const destinations: readonly Stack[] = stacks.filter((s) => s instanceof HarbormasterDestinationStack);
  if (destinations.length === 0) {
    lines.push('Next:', `  npx cdk bootstrap ${environments.join(' ')}`, '  npx cdk deploy --all');
  } else {
    // Another account's stacks deploy with that account's credentials, first: its registry policy and
    // repositories are there before anything replicates; `--all` would try them with this account's.
    const home = stacks.filter((s) => !destinations.includes(s));
    const homeEnvironments = environments.filter((e) => home.some((s) => e === envOf(s)));
    lines.push("Next, with each destination account's credentials:");
    for (const stack of destinations) {
      lines.push(`  npx cdk bootstrap ${envOf(stack)} && npx cdk deploy ${stack.stackName}`);
    }
    lines.push(
      "Then with this account's credentials:",
      `  npx cdk bootstrap ${homeEnvironments.join(' ')}`,
      `  npx cdk deploy ${home.map((s) => s.stackName).join(' ')}`,
    );
  }
  if (environments.some((e) => e.includes('ACCOUNT'))) {
    lines.push(
      '  (ACCOUNT: your account id, `aws sts get-caller-identity`; or set env.account in the config)',
    );
  }
  return `${lines.join('\n')}\n`;
}
