/** CloudWatch metric names (namespace and dimensions) shared by the functions that emit them and the dashboard/alarms that read them. */
export const METRICS_NAMESPACE = 'Harbormaster';
/** Every metric carries the dimension `service` (the function's POWERTOOLS_SERVICE_NAME). */
export const METRIC = {
  EventsProcessed: 'EventsProcessed',
  EventsIgnored: 'EventsIgnored',
  EventsFailed: 'EventsFailed',
  AlertsSent: 'AlertsSent',
  TagsWritten: 'TagsWritten',
  ImagesQuarantined: 'ImagesQuarantined',
  ReplicationBytes: 'ReplicationBytes',
  ReplicationsSucceeded: 'ReplicationsSucceeded',
  ReplicationsFailed: 'ReplicationsFailed',
  ReplicationDuration: 'ReplicationDuration',
} as const;
