/**
 * Prints which AWS Control Tower proactive controls (the cfn-guard rules of @cdklabs/cdk-validator-cfnguard)
 * apply to Harbormaster's stacks, and whether each passes with the example config as shipped and with the
 * two user choices Control Tower asks for (`network`, plain IMMUTABLE repositories).
 * docs/guardrails.md is this table: `npm run guardrails:report` (offline; no AWS account).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildHarbormaster } from '../infra/harbormaster';
import { parseConfig } from '../shared/config/load';
import {
  compliantDoc,
  CONTROL_TOWER_RULES_DIR,
  controlTowerResults,
  exampleDoc,
  type ConfigDoc as Doc,
  type ControlResult,
} from '../test/infra/support/control-tower';

function results(doc: Doc): ControlResult[] {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  buildHarbormaster(app, parseConfig(doc));
  return controlTowerResults(app);
}

/** Control id -> the first line of its rule's Description. */
function descriptions(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.guard')) {
        const text = fs.readFileSync(full, 'utf8');
        const id = /\[(CT\.[A-Z0-9-]+\.PR\.\d+)\]/.exec(text)?.[1];
        const description = /# Description:\s*\n#\s+(.+)/.exec(text)?.[1];
        if (id && description && !out.has(id)) {
          const short = description.trim().replace(/^This control checks (whether|that) /, '');
          out.set(id, short.charAt(0).toUpperCase() + short.slice(1).replace(/\|/g, '\\|'));
        }
      }
    }
  };
  walk(CONTROL_TOWER_RULES_DIR);
  return out;
}

function summarize(rows: ControlResult[]): Map<string, { stacks: Set<string>; failing: Set<string> }> {
  const byControl = new Map<string, { stacks: Set<string>; failing: Set<string> }>();
  for (const row of rows) {
    const entry = byControl.get(row.control) ?? { stacks: new Set(), failing: new Set() };
    entry.stacks.add(row.stack);
    if (row.status === 'fail') entry.failing.add(row.stack);
    byControl.set(row.control, entry);
  }
  return byControl;
}

const shipped = summarize(results(exampleDoc()));
const chosen = summarize(results(compliantDoc()));
const about = descriptions();
const status = (e?: { failing: Set<string> }): string =>
  !e ? 'n/a' : e.failing.size === 0 ? 'pass' : `**fail** (${[...e.failing].join(', ')})`;

const controls = [...new Set([...shipped.keys(), ...chosen.keys()])].sort((a, b) =>
  a.localeCompare(b, 'en', { numeric: true }),
);
console.log('| Control | What it checks | Example config | With `network` + IMMUTABLE |');
console.log('|---|---|---|---|');
for (const control of controls) {
  console.log(
    `| ${control} | ${about.get(control) ?? ''} | ${status(shipped.get(control))} | ${status(chosen.get(control))} |`,
  );
}
const failing = controls.filter((c) => (chosen.get(c)?.failing.size ?? 0) > 0);
console.log(`\n${controls.length} controls apply; with both choices ${failing.length} fail.`);
process.exitCode = failing.length > 0 ? 1 : 0;
