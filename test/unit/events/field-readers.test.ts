import { REPOSITORY_NAME_PATTERN as CONFIG_REPOSITORY_NAME_PATTERN } from '../../../shared/config/primitives';
import { EventParseError, parseEvent } from '../../../shared/events';
import { SEVERITY_ORDER } from '../../../shared/domain/types';
import {
  readSeverity,
  readSeverityCounts,
  REPOSITORY_NAME_PATTERN,
  SEVERITY_EXPECTED,
  SEVERITY_NAME_EXPECTED,
  SEVERITY_NAMES,
} from '../../../shared/events/field-readers';
import {
  severity as severitySchema,
  severityCounts as severityCountsSchema,
} from '../../../shared/events/severity-fields';
import { fixture } from './fixtures';

/** The message of what `fn` throws (fails the test when it does not throw). */
function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EventParseError);
    return (error as Error).message;
  }
  throw new Error('expected a throw');
}

describe('event fields without zod', () => {
  it('checks repository names exactly as the config does', () => {
    // The runtime copy exists only to keep zod out of function bundles; it must be the same rule.
    expect(REPOSITORY_NAME_PATTERN.source).toBe(CONFIG_REPOSITORY_NAME_PATTERN.source);
    expect(REPOSITORY_NAME_PATTERN.flags).toBe(CONFIG_REPOSITORY_NAME_PATTERN.flags);
  });

  it('knows every severity of the domain, plus UNTRIAGED, and names them all in its messages', () => {
    expect(SEVERITY_NAMES).toEqual([...SEVERITY_ORDER, 'UNTRIAGED']);
    expect(SEVERITY_EXPECTED).toBe(`expected a severity (${SEVERITY_NAMES.join(', ')})`);
    expect(SEVERITY_NAME_EXPECTED).toBe(
      `expected a severity name (one of ${SEVERITY_NAMES.join(', ')}, TOTAL)`,
    );
  });

  it.each([
    ['a known severity', 'HIGH'],
    ['UNTRIAGED', 'UNTRIAGED'],
    ['an unknown name', 'SEVERE'],
    ['a name Object.prototype carries', 'constructor'],
    ['a number', 3],
    ['nothing', undefined],
  ])('reads %s like the CLI zod schema does', (_name, value) => {
    // Act
    const zod = severitySchema.safeParse(value);
    let read: unknown;
    let message: string | undefined;
    try {
      read = readSeverity({ severity: value }, 'severity', []);
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(read !== undefined).toBe(zod.success);
    if (zod.success) expect(read).toBe(zod.data);
    else expect(message).toContain(`severity: ${zod.error.issues[0].message}`);
  });

  it.each<[string, unknown]>([
    ['basic counts', { HIGH: 2, LOW: 1 }],
    ['Inspector counts with TOTAL', { CRITICAL: 1, HIGH: 0, MEDIUM: 2, TOTAL: 9 }],
    ['UNTRIAGED and UNDEFINED together', { UNTRIAGED: 2, UNDEFINED: 1 }],
    ['no counts at all', undefined],
    ['an unknown name', { HIGH: 1, SEVERE: 2 }],
    ['a name Object.prototype carries', { toString: 1 }],
    ['a negative count', { HIGH: -1 }],
    ['a fractional count', { HIGH: 1.5 }],
    ['a count as a string', { HIGH: '2' }],
    ['an array', [1, 2]],
  ])('reads %s like the CLI zod schema does', (_name, value) => {
    // Act
    const zod = severityCountsSchema.safeParse(value);
    let read: unknown;
    let message: string | undefined;
    try {
      read = readSeverityCounts({ counts: value }, 'counts', []);
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(read !== undefined).toBe(zod.success);
    if (zod.success) expect(read).toEqual(zod.data);
    else expect(message).toContain(`: ${zod.error.issues[0].message}`);
  });

  it('reports a bad count before an unknown name, whatever their order', () => {
    const event = fixture('ecr-image-scan-basic');
    event.detail['finding-severity-counts'] = { SEVERE: 1, HIGH: -1 };

    expect(thrownMessage(() => parseEvent(event))).toBe(
      'detail.finding-severity-counts.HIGH: expected a non-negative integer count, got -1',
    );
  });

  it('refuses too many tags before reading any of them', () => {
    const event = fixture('ecr-image-scan-basic');
    event.detail['image-tags'] = Array.from({ length: 1001 }, () => ({}));

    expect(thrownMessage(() => parseEvent(event))).toBe(
      'detail.image-tags: expected at most 1000 image tags, got an array of 1001',
    );
  });

  it('names a nested object AWS always sends when it is missing', () => {
    const event = fixture('inspector2-finding');
    delete event.detail.resources[0].details;

    expect(thrownMessage(() => parseEvent(event))).toBe(
      'detail.resources[0].details: expected object, received undefined, but it is missing',
    );
  });

  it.each(['constructor', 'toString', '__proto__'])(
    'rejects the finding severity %s (a name on Object.prototype is not a severity)',
    (name) => {
      const event = fixture('inspector2-finding');
      event.detail.severity = name;

      expect(thrownMessage(() => parseEvent(event))).toBe(
        `detail.severity: expected a severity (UNDEFINED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED), got "${name}"`,
      );
    },
  );

  it('ignores a __proto__ key in the counts, as JSON maps are read everywhere else', () => {
    const event = fixture('ecr-image-scan-basic');
    event.detail['finding-severity-counts'] = JSON.parse('{"__proto__": 5, "HIGH": 1}');

    expect(parseEvent(event)).toMatchObject({
      severityCounts: { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 0 },
    });
  });
});
