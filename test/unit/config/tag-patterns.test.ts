import { matchesAnyTagPattern, matchesTagPattern, wildcardCount } from '../../../shared/config/tag-patterns';

describe('matchesTagPattern (ECR wildcards)', () => {
  it.each([
    ['latest', 'latest', true],
    ['latest', 'Latest', false],
    ['v1.4.2', 'v*', true],
    ['v1.4.2', 'v*.*.*', true],
    ['v1.4', 'v*.*.*', false],
    ['1.4', '*.*', true],
    ['pr-', 'pr-*', true],
    ['xpr-1', 'pr-*', false],
    ['pr-1x', 'pr-*', true],
    ['sha-abc', '*-abc', true],
    ['v1x4', 'v1.4', false],
    ['a+b', 'a+b', true],
    ['anything', '*', true],
    ['', '*', true],
  ])('%s against %s is %s', (tag, pattern, expected) => {
    expect(matchesTagPattern(tag, pattern)).toBe(expected);
  });

  it('treats regex metacharacters literally', () => {
    expect(matchesTagPattern('v1a4', 'v1.4')).toBe(false);
    expect(matchesTagPattern('(x)', '(x)')).toBe(true);
  });

  it('matches any of several patterns', () => {
    expect(matchesAnyTagPattern('pr-7', ['latest', 'pr-*'])).toBe(true);
    expect(matchesAnyTagPattern('v1', ['latest', 'pr-*'])).toBe(false);
    expect(matchesAnyTagPattern('v1', [])).toBe(false);
  });

  it('counts wildcards', () => {
    expect(wildcardCount('*a*b*c*d*')).toBe(5);
    expect(wildcardCount('latest')).toBe(0);
  });
});
