import { DurationError, formatDuration, parseDuration } from '../../../shared/oci/duration';

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['600', 600_000],
    ['1.5s', 1_500],
  ])('reads %s as %d ms', (text, ms) => {
    // Act & Assess
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each(['', 'soon', '10 minutes', '5x', '-1s', '1h-5m'])('refuses "%s", naming the option', (text) => {
    // Act & Assess
    expect(() => parseDuration(text, '--timeout')).toThrow(DurationError);
    expect(() => parseDuration(text, '--timeout')).toThrow(/^--timeout must be/);
  });

  it('refuses zero and more than 7 days', () => {
    // Act & Assess
    expect(() => parseDuration('0s', '--timeout')).toThrow(
      '--timeout must be more than 0 and at most 7 days, got "0s"',
    );
    expect(() => parseDuration('200h', '--timeout')).toThrow('at most 7 days');
  });
});

describe('formatDuration', () => {
  it.each([
    [900, '0.9s'],
    [90_000, '1m30s'],
    [600_000, '10m'],
  ])('formats %d ms as %s', (ms, text) => {
    // Act & Assess
    expect(formatDuration(ms)).toBe(text);
  });
});
