import type { ConfigProblem } from '../config/checks/types';
import type { HarbormasterConfig } from '../config/schema';
import { ecrReplicaTargets, type EcrReplicaTarget } from './rule-targets';

/**
 * One registry (account and region) outside the source account that the config replicates into, and what it
 * needs from that account: a registry policy for native replication, repositories for gated replication.
 */
export interface DestinationRegistry {
  readonly account: string;
  readonly region: string;
  /**
   * Repository name prefixes native replication copies here (the registry policy's resources), `undefined`
   * when a rule copies every repository; empty when no native rule targets this registry.
   */
  readonly nativePrefixes: readonly string[] | undefined;
  /** Whether a native replication rule targets this registry (then it needs the registry policy and templates). */
  readonly native: boolean;
  /** The gated replication repositories to create here. */
  readonly gated: readonly EcrReplicaTarget[];
}

/** An account id other than the source's (the same account spelt out is not cross-account). */
function foreign(config: HarbormasterConfig, account: string | undefined): account is string {
  return account !== undefined && account !== config.env.account;
}

/** Every cross-account destination registry of native and gated replication, in config order. */
export function destinationRegistries(config: HarbormasterConfig): DestinationRegistry[] {
  interface Entry {
    account: string;
    region: string;
    native: boolean;
    everything: boolean;
    prefixes: string[];
    gated: EcrReplicaTarget[];
  }
  const entries = new Map<string, Entry>();
  const entry = (account: string, region: string): Entry => {
    const key = `${account}/${region}`;
    let found = entries.get(key);
    if (!found) {
      found = { account, region, native: false, everything: false, prefixes: [], gated: [] };
      entries.set(key, found);
    }
    return found;
  };
  for (const rule of config.replication?.rules ?? []) {
    for (const destination of rule.destinations) {
      if (!foreign(config, destination.account)) continue;
      const at = entry(destination.account, destination.region);
      at.native = true;
      if (rule.repositoryPrefixes === undefined) at.everything = true;
      else at.prefixes.push(...rule.repositoryPrefixes.filter((p) => !at.prefixes.includes(p)));
    }
  }
  for (const target of ecrReplicaTargets(config)) {
    if (foreign(config, target.account)) entry(target.account, target.region).gated.push(target);
  }
  return [...entries.values()].map((e) => ({
    account: e.account,
    region: e.region,
    native: e.native,
    nativePrefixes: e.everything ? undefined : e.prefixes,
    gated: e.gated,
  }));
}

/**
 * What makes a destination stack impossible to build from the config: its policies name the source account,
 * so a config with cross-account destinations must say which account it deploys to.
 */
export function destinationProblems(config: HarbormasterConfig): ConfigProblem[] {
  if (config.env.account !== undefined) return [];
  const native = (config.replication?.rules ?? []).flatMap((rule, i) =>
    rule.destinations.flatMap((d, k) =>
      d.account !== undefined
        ? [{ field: `replication.rules[${i}].destinations[${k}]`, account: d.account }]
        : [],
    ),
  );
  const gated = config.gatedReplication.flatMap((rule, i) =>
    rule.destinations.flatMap((d, k) =>
      d.type === 'ecr' && d.account !== undefined
        ? [{ field: `gatedReplication[${i}].destinations[${k}]`, account: d.account }]
        : [],
    ),
  );
  const first = [...native, ...gated][0];
  if (!first) return [];
  return [
    {
      path: ['env', 'account'],
      message: `expected the 12-digit account id the stacks deploy to: ${first.field} replicates to account ${first.account}, whose HarbormasterDestination stack grants the source account by id`,
    },
  ];
}
