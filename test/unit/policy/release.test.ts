import { planRelease, releaseEventId } from '../../../shared/policy/release';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const KEEPER = 'quarantined-aaaaaaaaaaaa';

describe('planRelease', () => {
  it('restores free tags, counts tags already back as present, and skips tags now on another image', () => {
    // Act
    const plan = planRelease(
      { removedTags: ['v1.4.2', 'latest', 'v1.4', 'v1', 'v1.4.2'], keeperTag: KEEPER },
      DIGEST,
      new Map([
        ['v1', DIGEST],
        ['latest', OTHER],
      ]),
    );

    // Assess
    expect(plan).toEqual({
      restore: ['v1.4', 'v1.4.2'],
      present: ['v1'],
      skipped: [{ tag: 'latest', digest: OTHER }],
    });
  });

  it('never restores the keeper tag itself', () => {
    // Act
    const plan = planRelease({ removedTags: [KEEPER, 'v1'], keeperTag: KEEPER }, DIGEST, new Map());

    // Assess
    expect(plan).toEqual({ restore: ['v1'], present: [], skipped: [] });
  });
});

describe('releaseEventId', () => {
  it('is the same for every run of one quarantine, and differs for the next quarantine', () => {
    // Assess
    expect(releaseEventId(DIGEST, { eventId: 'scan-1' })).toBe(`release:${DIGEST}:scan-1`);
    expect(releaseEventId(DIGEST, { eventId: 'scan-9' })).not.toBe(
      releaseEventId(DIGEST, { eventId: 'scan-1' }),
    );
  });
});
