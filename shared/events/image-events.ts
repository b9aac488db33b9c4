import type { NormalizedEvent } from '../domain/types';
import { DETAIL, EVENT_TYPE, eventBase, type DetailParsers, type Envelope } from './dispatch';
import { readAccountId, readRegion } from './field-readers';
import { ecrImageAction, readActionImage } from './image-action';
import { readOptionalString } from './read';

export { ecrImageAction } from './image-action';

/** `ECR Replication Action` (emitted in the destination region), as AWS publishes it. */
export function ecrReplication(envelope: Envelope): NormalizedEvent {
  const { detail } = envelope;
  readOptionalString(detail, 'action-type', DETAIL, 'expected action-type as a string');
  const { result, repository, digest, tags } = readActionImage(detail);
  if (detail['source-account'] !== undefined) readAccountId(detail, 'source-account', DETAIL);
  if (detail['source-region'] !== undefined) readRegion(detail, 'source-region', DETAIL);
  return { ...eventBase(envelope), kind: 'replication.completed', repository, digest, tags, result };
}

/** The image-events function's parsers. */
export const IMAGE_EVENTS: DetailParsers = {
  [EVENT_TYPE.ecrImageAction]: ecrImageAction,
  [EVENT_TYPE.ecrReplication]: ecrReplication,
};
