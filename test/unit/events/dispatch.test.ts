import { EventRoutingError, parseEvent } from '../../../shared/events';
import { parseEventJsonWith, parseEventWith } from '../../../shared/events/dispatch';
import { IMAGE_EVENTS } from '../../../shared/events/image-events';
import { SCAN_EVENTS } from '../../../shared/events/scan-events';
import { fixture, fixtureText } from './fixtures';

describe("parsing with one function's detail parsers", () => {
  it.each([
    [
      'image',
      IMAGE_EVENTS,
      ['ecr-image-push', 'ecr-image-delete', 'ecr-image-archive', 'ecr-replication-success'],
    ],
    [
      'scan',
      SCAN_EVENTS,
      ['ecr-image-scan-basic', 'inspector2-scan', 'inspector2-finding', 'ecr-image-scan-failed'],
    ],
  ] as const)('the %s parsers read their events exactly as parseEvent does', (_name, parsers, names) => {
    for (const name of names) {
      expect(parseEventWith(parsers, fixture(name))).toStrictEqual(parseEvent(fixture(name)));
      expect(parseEventJsonWith(parsers, fixtureText(name))).toStrictEqual(parseEvent(fixture(name)));
    }
  });

  it.each([
    [IMAGE_EVENTS, 'ecr-image-scan-basic', 'an ECR Image Scan event'],
    [IMAGE_EVENTS, 'inspector2-finding', 'an Inspector2 Finding event'],
    [SCAN_EVENTS, 'ecr-image-push', 'an ECR Image Action event'],
    [SCAN_EVENTS, 'ecr-replication-failed', 'an ECR Replication Action event'],
  ])('fails a Harbormaster event routed to the wrong function (%#: %s)', (parsers, name, what) => {
    // Act / Assess
    expect(() => parseEventWith(parsers, fixture(name))).toThrow(EventRoutingError);
    expect(() => parseEventWith(parsers, fixture(name))).toThrow(
      `${what} does not belong on this function's queue (check the EventBridge rule)`,
    );
  });

  it('still ignores event types Harbormaster does not handle', () => {
    expect(parseEventWith(IMAGE_EVENTS, fixture('ecr-pull-through-cache'))).toStrictEqual({
      ignored: 'ECR Pull Through Cache Action events from aws.ecr are not handled by Harbormaster',
    });
  });
});
