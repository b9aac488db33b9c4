/**
 * `npm run sandbox [-- --config FILE] [--cdk-out DIR] [--replay FILE.jsonl [--json]] [--serve]`
 * Harbormaster's synthesized stacks on a local AWS (moto_server) with local registries: see docs/sandbox.md.
 */
import { playDemo } from './demo';
import { replay } from './replay';
import { Sandbox } from './sandbox';
import { MissingToolError } from './tools';

interface Args {
  config?: string;
  cdkOut?: string;
  replay?: string;
  json: boolean;
  serve: boolean;
  keep: boolean;
}

const USAGE =
  'usage: npm run sandbox -- [--config FILE] [--cdk-out DIR] [--replay FILE.jsonl [--json]] [--serve] [--keep]';

export function parseArgs(argv: string[]): Args {
  const args: Args = { json: false, serve: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--config' || flag === '-c') args.config = value();
    else if (flag === '--cdk-out') args.cdkOut = value();
    else if (flag === '--replay') args.replay = value();
    else if (flag === '--json') args.json = true;
    else if (flag === '--serve') args.serve = true;
    else if (flag === '--keep') args.keep = true;
    else if (flag === '--help' || flag === '-h') throw Object.assign(new Error(USAGE), { exitCode: 0 });
    else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (args.json && !args.replay) throw new Error(`--json goes with --replay\n${USAGE}`);
  if (args.serve && args.replay) throw new Error(`--serve and --replay are separate modes\n${USAGE}`);
  return args;
}

export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode ?? 1;
    (code === 0 ? process.stdout : process.stderr).write(`${(error as Error).message}\n`);
    return code;
  }
  const progress = (line: string) => process.stderr.write(`${line}\n`);
  let sandbox: Sandbox;
  try {
    sandbox = await Sandbox.start({
      ...(args.config ? { configFile: args.config } : {}),
      ...(args.cdkOut ? { cdkOut: args.cdkOut } : {}),
      keepWorkDir: args.keep || args.serve,
      log: progress,
    });
  } catch (error) {
    if (error instanceof MissingToolError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    process.stderr.write(`sandbox: ${(error as Error).message}\n`);
    return 1;
  }
  const stop = async () => {
    await sandbox.stop();
  };
  try {
    if (args.replay) {
      const summary = await replay(sandbox, args.replay, progress);
      process.stdout.write(
        args.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderSummary(summary)}\n`,
      );
      return 0;
    }
    if (args.serve) {
      process.stdout.write(
        [
          `Harbormaster sandbox running (Ctrl-C stops it)`,
          `  AWS endpoint (moto):   ${sandbox.moto.endpoint}`,
          `  functions' endpoint:   ${sandbox.proxy.endpoint} (counts calls, enforces quotas)`,
          `  region / account:      ${sandbox.region} / ${sandbox.account}`,
          `  audit table:           ${sandbox.auditTableName}`,
          ...[...sandbox.registries].map(([host, r]) => `  ${host} -> https://${r.address}`),
          `  CA certificate:        ${sandbox.tls.caFile}`,
          `  function logs:         ${sandbox.workDir}/logs`,
          '',
          'Point the CLI at it:',
          ...Object.entries(sandbox.cliEnv()).map(([k, v]) => `  export ${k}=${v}`),
          '  npm run harbormaster -- audit payments/api --limit 20',
          '',
        ].join('\n'),
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      return 0;
    }
    const checks = await playDemo(sandbox, (line) => process.stdout.write(`${line}\n`));
    const failed = checks.filter((c) => !c.ok);
    process.stdout.write(
      failed.length === 0
        ? `\nDemo complete: ${checks.length} checks passed. Function logs were in ${sandbox.workDir}/logs.\n`
        : `\nDemo: ${failed.length} of ${checks.length} checks failed (${failed.map((c) => c.step).join(', ')}); function logs: ${sandbox.workDir}/logs (kept with --keep)\n`,
    );
    return failed.length === 0 ? 0 : 1;
  } catch (error) {
    process.stderr.write(`sandbox: ${(error as Error).message}\nfunction logs: ${sandbox.workDir}/logs\n`);
    return 1;
  } finally {
    await stop();
  }
}

function renderSummary(summary: Awaited<ReturnType<typeof replay>>): string {
  const lines = [`${summary.events} event(s) replayed, queues drained in ${summary.drainSeconds} s`];
  for (const image of summary.images) {
    lines.push(
      `${image.repository}@${image.digest}: tags [${image.tags.join(', ')}], ${image.audit.length} audit row(s)`,
    );
  }
  for (const [topic, messages] of Object.entries(summary.topics))
    lines.push(`topic ${topic}: ${messages.length} message(s)`);
  for (const [queue, messages] of Object.entries(summary.deadLetterQueues))
    lines.push(`dead-letter queue ${queue}: ${messages.length} message(s)`);
  return lines.join('\n');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`sandbox: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
