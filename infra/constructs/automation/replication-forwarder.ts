import { Stack } from 'aws-cdk-lib';
import { EventBus, Rule, type EventPattern, type IRule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DeadLetterQueue } from '../dead-letter-queue';
import { imageEventPatterns } from './event-patterns';

export const REPLICATION_DETAIL_TYPE = 'ECR Replication Action';

/**
 * `ECR Replication Action` of managed repositories replicated out of `sourceRegion`, as their destination
 * region sees them (ECR emits the result there, not in the source region): the home rule's patterns
 * (imageEventPatterns, split the same way for long lists) narrowed to replication results from home. The home
 * rule has no region filter and EventBridge keeps `region` when it forwards, so a forwarded event matches it.
 */
export function replicationActionPatterns(filter: {
  readonly names: readonly string[];
  readonly account: string;
  readonly sourceRegion: string;
}): Record<string, EventPattern> {
  const home = imageEventPatterns({ names: filter.names, account: filter.account, arnOf: (name) => name });
  return Object.fromEntries(
    Object.entries(home).map(([id, pattern]) => [
      id.replace('EcrImageEvents', 'EcrReplicationAction'),
      {
        ...pattern,
        detailType: [REPLICATION_DETAIL_TYPE],
        detail: { ...pattern.detail, 'source-region': [filter.sourceRegion] },
      },
    ]),
  );
}

export interface ReplicationForwarderProps {
  /** Managed repository names (native replicas keep their source's name). */
  readonly repositoryNames: readonly string[];
  /** The home region: where the registry replicates from and the automation runs (config `env.region`). */
  readonly homeRegion: string;
}

/**
 * In a native replication destination region of the home account: forwards ECR's `ECR Replication Action`
 * results of managed repositories to the home region's default event bus, where the image-events rule
 * records them on the image's timeline and a FAILED one alerts (issue 8 item 7).
 *
 * The bus ARN is built from strings (this stack's account, the home region): no cross-region reference or
 * lookup at synth. The rules assume one role that may only PutEvents on that bus; same-account buses need no
 * resource policy. Events EventBridge cannot deliver land in a dead-letter queue here.
 */
export class ReplicationForwarder extends Construct {
  public readonly rules: readonly IRule[];
  public readonly role: Role;
  public readonly deadLetterQueue: DeadLetterQueue;
  /** `arn:<partition>:events:<home region>:<account>:event-bus/default`. */
  public readonly homeBusArn: string;

  constructor(scope: Construct, id: string, props: ReplicationForwarderProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.homeBusArn = stack.formatArn({
      service: 'events',
      region: props.homeRegion,
      resource: 'event-bus',
      resourceName: 'default',
    });
    const homeBus = EventBus.fromEventBusArn(this, 'HomeBus', this.homeBusArn);
    this.role = new Role(this, 'Role', {
      // Only this account's rules may use it (confused deputy).
      assumedBy: new ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Harbormaster: forwards ECR replication results to the default event bus of ${props.homeRegion}`,
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: `ECR replication results EventBridge could not forward to ${props.homeRegion}`,
    });
    // The target adds events:PutEvents on the home bus (and nothing else) to the role's policy.
    const target = new EventBusTarget(homeBus, { role: this.role, deadLetterQueue: this.deadLetterQueue });
    const patterns = replicationActionPatterns({
      names: props.repositoryNames,
      account: stack.account,
      sourceRegion: props.homeRegion,
    });
    this.rules = Object.entries(patterns).map(
      ([ruleId, eventPattern]) =>
        new Rule(this, ruleId, {
          description: `Harbormaster: ECR replication results of managed repositories, to ${props.homeRegion} (${ruleId})`,
          eventPattern,
          targets: [target],
        }),
    );
  }
}
