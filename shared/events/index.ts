export { EventParseError, EventRoutingError } from './errors';
export { MAX_TAGS } from './field-readers';
export { MAX_EVENT_BYTES, parseEvent, parseEventJson, parseSqsRecordBody } from './parse';
export { isIgnored, type Ignored, type NormalizedEvent } from '../domain/types';
