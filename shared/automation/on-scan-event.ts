import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Finding, FindingEvent, ScanEvent } from '../domain/types';
import { isIgnored } from '../domain/types';
import { ecrFindingsConsoleUrl, type FindingsAlert } from '../notify/alert';
import { buildSnsAlert } from '../notify/sns-alert';
import {
  findRepository,
  needsFindingDetails,
  planScanEvent,
  unmanagedReason,
  type Action,
  type NotifyPlanAction,
} from '../policy';
import { describeFindings } from '../registry/ecr-images';
import { buildReplicationMessage, serializeReplicationMessage } from '../replication/message';
import { duplicateDelivery, executePlan, type AutomationDeps, type EventOutcome } from './execute-plan';

/** How many findings the scan path reads at most: one DescribeImageScanFindings page holds 1000. */
export const FINDINGS_READ_MAX = 1000;

export interface ScanDeps extends AutomationDeps {
  readonly sns: SNSClient;
  /** The findings topic (FINDINGS_TOPIC_ARN). */
  readonly topicArn: string;
  readonly sqs: SQSClient;
  /** The replication queue (REPLICATION_QUEUE_URL); only needed when a gated rule matches. */
  readonly replicationQueueUrl?: string;
}

function wouldAlert(plan: readonly Action[]): boolean {
  return plan.some(
    (a) =>
      a.type === 'notify' || (a.type === 'audit' && a.action === 'verdict' && a.detail.result === 'fail'),
  );
}

/**
 * Scan results (ECR Image Scan, Inspector2 Scan, Inspector2 Finding): verdict -> audit -> alert when the
 * finding set changed (A4) -> promote or quarantine -> enqueue replication.
 *
 * AWS calls: the counts in the event decide a pass with no read (passing scan: the audit write plus the
 * promotion tags). A failing scan reads the findings (one page) and the last alert's finding set, then
 * writes, quarantines and publishes once.
 */
export async function onScanEvent(event: ScanEvent | FindingEvent, deps: ScanDeps): Promise<EventOutcome> {
  const repository = findRepository(deps.config, event.repository);
  if (!repository) return { status: 'ignored', reason: unmanagedReason(event.repository) };
  const now = deps.now();

  // A first plan from what the event carries tells whether details and the last alert are needed at all.
  const draft = planScanEvent(event, { config: deps.config, now });
  if (isIgnored(draft)) return { status: 'ignored', reason: draft.ignored };
  const alerting = wouldAlert(draft);
  const counts = event.kind === 'scan.completed' ? event.severityCounts : undefined;
  const needDetails =
    alerting ||
    (counts !== undefined &&
      needsFindingDetails(
        counts,
        repository.scan,
        event.kind === 'scan.completed' ? event.uncountedFindings : 0,
        now,
      ));

  let previous: Awaited<ReturnType<ScanDeps['audit']['lastFindingSet']>>;
  // The last alert's finding set: A4 (alert only on change) and the alert's new/fixed lists.
  if (alerting) {
    previous = await deps.audit.lastFindingSet(event.repository, event.digest);
    if (previous?.eventId === event.id) return duplicateDelivery(event, deps);
  }

  let findings: Finding[] | undefined;
  if (needDetails) {
    const read = await describeFindings(
      deps.ecr,
      { repository: event.repository, digest: event.digest },
      { max: FINDINGS_READ_MAX },
    );
    if (!read.complete) {
      deps.log.warn('image has more findings than read; the alert and the finding set use the first ones', {
        repository: event.repository,
        digest: event.digest,
        read: read.findings.length,
      });
    }
    findings = read.findings;
  }

  const plan = planScanEvent(event, {
    config: deps.config,
    now,
    ...(findings ? { findings } : {}),
    ...(previous?.findingIds ? { previousFindingIds: previous.findingIds } : {}),
    ...(previous?.findingSetHash ? { previousFindingSetHash: previous.findingSetHash } : {}),
  });
  if (isIgnored(plan)) return { status: 'ignored', reason: plan.ignored };

  const firstScan = previous === undefined;
  return executePlan(event, plan, deps, {
    notify: async (action) => {
      const message = buildSnsAlert(toAlert(event, action, firstScan));
      await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, ...message }));
    },
    replicate: async (action) => {
      if (!deps.replicationQueueUrl) {
        throw new Error(
          `gated replication rule ${action.rule} matched but ${'REPLICATION_QUEUE_URL'} is not set`,
        );
      }
      const body = buildReplicationMessage({
        eventId: event.id,
        rule: action.rule,
        source: { account: event.account, region: event.region },
        repository: event.repository,
        digest: event.digest,
        tags: [...action.tags],
        destinations: [...action.destinations],
      });
      await deps.sqs.send(
        new SendMessageCommand({
          QueueUrl: deps.replicationQueueUrl,
          MessageBody: serializeReplicationMessage(body),
        }),
      );
    },
  });
}

function toAlert(
  event: ScanEvent | FindingEvent,
  action: NotifyPlanAction,
  firstScan: boolean,
): FindingsAlert {
  return {
    version: 1,
    eventId: event.id,
    account: event.account,
    region: event.region,
    repository: event.repository,
    digest: event.digest,
    tags: event.tags,
    team: action.team,
    scanner: event.scanner,
    verdict: {
      result: action.verdict,
      ...(action.highestSeverity ? { highestSeverity: action.highestSeverity } : {}),
      reason: action.reason,
    },
    severityCounts: action.severityCounts,
    topFindings: action.topFindings,
    newFindings: action.newFindings,
    fixedFindings: action.fixedFindings,
    firstScan,
    quarantinedTags: action.quarantinedTags,
    consoleUrl: ecrFindingsConsoleUrl(event),
  };
}
