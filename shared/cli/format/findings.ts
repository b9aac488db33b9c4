import { SEVERITY_ORDER, type Finding } from '../../domain/types';
import { formatTable } from './table';

/** Most severe first, then by id, so the top of the list is what to fix first. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity) || a.id.localeCompare(b.id),
  );
}

/** "openssl 3.0.13 -> 3.0.15", "openssl 3.0.13 (no fix yet)", or "" when the scanner names no package. */
export function packageChange(finding: Finding): string {
  if (!finding.packageName) return '';
  const installed = finding.installedVersion ? ` ${finding.installedVersion}` : '';
  return `${finding.packageName}${installed}${finding.fixedVersion ? ` -> ${finding.fixedVersion}` : ' (no fix yet)'}`;
}

/** The top findings as a table: severity, id, package installed -> fixed, and whether the allowlist excuses it. */
export function formatFindings(findings: readonly Finding[], allowlisted: ReadonlySet<string>): string {
  return formatTable(
    ['SEVERITY', 'ID', 'PACKAGE', ''],
    findings.map((f) => [
      f.severity,
      f.id,
      packageChange(f),
      allowlisted.has(f.id.toUpperCase()) ? 'allowlisted' : '',
    ]),
  );
}
