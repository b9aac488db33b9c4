export { findRepository, unmanagedReason } from './managed';
export { decideVerdict, isAllowlistEntryActive, needsFindingDetails, type VerdictInput } from './verdict';
export {
  needsExistingTags,
  parseSemver,
  tagsToAdd,
  type SemanticVersion,
  type TagsToAddInput,
} from './auto-tag';
export { diffFindings, findingSetHash, type FindingsDiff } from './findings-diff';
export { promotionTags } from './promotion';
export { quarantineTags } from './quarantine';
export { replicationTargets, verdictAllows, type ReplicationTarget } from './replication-match';
export { emptyCounts, formatCounts, highestOf, isAboveThreshold, severityRank } from './severity';
export {
  planEvent,
  planImageEvent,
  planScanEvent,
  type Action,
  type AuditPlanAction,
  type NotifyPlanAction,
  type Plan,
  type PlanContext,
  type ReplicatePlanAction,
  type TagPlanAction,
  type UntagPlanAction,
} from './plan';
