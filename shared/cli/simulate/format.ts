import type { ImageStateData } from '../../state/image-state';
import type { SimulatedEffect } from './recording-clients';
import type { FunctionRun } from './run';

/** The text report of `harbormaster simulate` (the same facts as --json, for a person). */

export interface DeliveryReport {
  readonly event: {
    readonly kind: string;
    readonly repository: string;
    readonly digest: string;
    readonly tags: readonly string[];
  } | null;
  readonly eventId?: string;
  readonly ignored?: string;
  readonly runs: readonly FunctionRun[];
}

export interface SimulationReport {
  readonly deliveries: readonly DeliveryReport[];
  readonly state: readonly ImageStateData[];
  readonly tags: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly notes: readonly string[];
}

const short = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
const shortAll = (lines: readonly string[]): string[] =>
  lines.map((l) => l.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, '$1'));
const list = (values: readonly string[]): string => (values.length > 0 ? values.join(', ') : '(none)');

function effectLine(effect: SimulatedEffect): string {
  switch (effect.type) {
    case 'tag':
      return `tag        ${list(effect.tags)} -> ${short(effect.digest)}${effect.keeper ? ' (keeper tag)' : ''}`;
    case 'untag':
      return `untag      ${list(effect.tags)} from ${short(effect.digest)}${effect.imageDeleted ? ' (its last tag: ECR deletes the image)' : ''}`;
    case 'alert':
      return `alert      ${effect.subject}`;
    case 'replicate': {
      const m = effect.message as {
        rule?: string;
        tags?: string[];
        destinations?: { type?: string; region?: string; host?: string }[];
      };
      const to = (m.destinations ?? []).map((d) => d.region ?? d.host ?? d.type ?? '?');
      return `replicate  rule ${m.rule ?? '?'}, tags ${list(m.tags ?? [])} -> ${list(to)}`;
    }
    case 'audit': {
      const rows = [effect.action, ...effect.followUps.map((f) => f.action)];
      const verdict = [effect, ...effect.followUps].find((r) => r.action === 'verdict')?.detail as
        { result?: string } | undefined;
      return `audit      ${short(effect.digest)}: ${rows
        .map((r) => (r === 'verdict' && verdict?.result ? `verdict ${verdict.result}` : r))
        .join(', ')}`;
    }
  }
}

function stateLines(data: ImageStateData): string[] {
  const lines = [`${data.repository}@${short(data.digest)}`];
  if (data.verdict) lines.push(`  verdict     ${data.verdict.reason}`);
  if (data.children) {
    for (const [digest, child] of Object.entries(data.children)) {
      lines.push(
        `  child       ${short(digest)} ${child.platform}: ${child.scannable ? (child.verdict?.result ?? 'waiting') : 'not scanned'}`,
      );
    }
  }
  if (data.alert)
    lines.push(
      `  last alert  ${data.alert.findingIds.length} finding(s), set ${short(data.alert.findingSetHash)}`,
    );
  if (data.quarantine) {
    lines.push(
      `  quarantine  ${list(data.quarantine.removedTags)} removed, keeper ${data.quarantine.keeperTag}${data.quarantine.released ? ' (released)' : ''}`,
    );
  }
  if (lines.length === 1) lines.push('  (nothing recorded)');
  return lines;
}

export function formatReport(report: SimulationReport): string {
  const out: string[] = [];
  report.deliveries.forEach((d, i) => {
    const head = d.event
      ? `${d.event.kind} ${d.event.repository}@${short(d.event.digest)} [${d.event.tags.join(', ')}]`
      : 'event';
    out.push(`${i + 1}. ${head}${d.eventId ? ` (id ${d.eventId})` : ''}`);
    if (d.ignored) out.push(`   ignored: ${d.ignored}`);
    for (const run of d.runs) {
      const what =
        run.outcome === 'done'
          ? `done (${list(run.actions ?? [])})`
          : run.outcome === 'duplicate'
            ? 'duplicate: already processed, nothing done'
            : `${run.outcome}: ${run.reason ?? ''}`;
      out.push(`   ${run.function}: ${what}`);
      if (run.reads.length > 0) out.push(`     read       ${shortAll(run.reads).join('; ')}`);
      if (run.leases.length > 0) out.push(`     state      ${shortAll(run.leases).join('; ')}`);
      for (const effect of run.effects) out.push(`     ${effectLine(effect)}`);
      for (const l of run.log.filter((x) => x.level !== 'info')) out.push(`     ${l.level}: ${l.message}`);
    }
  });
  out.push('', 'State after:');
  if (report.state.length === 0) out.push('  (no image state)');
  for (const data of report.state) out.push(...stateLines(data).map((l) => `  ${l}`));
  for (const [repo, tags] of Object.entries(report.tags)) {
    out.push(`Tags in ${repo}:`);
    const entries = Object.entries(tags);
    if (entries.length === 0) out.push('  (none)');
    for (const [tag, digest] of entries) out.push(`  ${tag} -> ${short(digest)}`);
  }
  for (const note of report.notes) out.push(`note: ${note}`);
  return `${out.join('\n')}\n`;
}
