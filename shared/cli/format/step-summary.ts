import { appendFileSync } from 'node:fs';

/** GitHub Actions' job summary file: Markdown appended there shows on the run's page. */
export const STEP_SUMMARY_ENV = 'GITHUB_STEP_SUMMARY';

/** Appends Markdown to $GITHUB_STEP_SUMMARY when it is set (GitHub Actions); does nothing elsewhere. */
export function appendStepSummary(env: Readonly<Record<string, string | undefined>>, markdown: string): void {
  const file = env[STEP_SUMMARY_ENV];
  if (!file) return;
  appendFileSync(file, `${markdown}\n`);
}
