import { verdictOf } from '../../../shared/state/current-verdict';
import type { ImageState, StoredVerdict } from '../../../shared/state/image-state';
import { MemoryStateStore } from '../../../shared/state/memory-state-store';
import { currentVerdict } from '../../../shared/state/current-verdict';

const key = { repository: 'payments/api', digest: `sha256:${'a'.repeat(64)}` };
const verdict = (result: 'pass' | 'fail'): StoredVerdict => ({
  result,
  reason: `${result}: test`,
  counts: { CRITICAL: result === 'fail' ? 1 : 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
  findingSetHash: 'h',
  topFindings: [],
  scanner: 'basic',
  eventId: 'e1',
  time: '2026-01-01T00:00:00Z',
});
const state = (data: Partial<ImageState['data']>, version = 1): ImageState => ({
  data: { ...key, ...data },
  parents: [],
  version,
  done: [],
});

describe('verdictOf', () => {
  it('returns the recorded verdict and whether the image is quarantined now', () => {
    expect(verdictOf(state({ verdict: verdict('pass') }))).toEqual({
      kind: 'verdict',
      verdict: verdict('pass'),
      quarantined: false,
    });
    const quarantine = { eventId: 'e1', time: 't', removedTags: ['v1'], keeperTag: 'quarantined-aaaa' };
    expect(verdictOf(state({ verdict: verdict('fail'), quarantine }))).toMatchObject({ quarantined: true });
    const released = {
      ...quarantine,
      released: { time: 't', by: 'me', reason: 'r', restoredTags: ['v1'], skippedTags: [] },
    };
    expect(verdictOf(state({ verdict: verdict('fail'), quarantine: released }))).toMatchObject({
      quarantined: false,
    });
  });

  it('says which platform images an undecided index waits for', () => {
    const children = {
      'sha256:1': { platform: 'linux/amd64', scannable: true, verdict: verdict('pass') },
      'sha256:2': { platform: 'linux/arm64', scannable: true },
      'sha256:3': { platform: 'unknown/unknown', scannable: false },
    };
    expect(verdictOf(state({ children }))).toEqual({
      kind: 'unavailable',
      reason: 'multi-arch index: waiting for the scan of linux/arm64',
    });
  });

  it('tells an unknown image from one seen but not yet decided', async () => {
    expect(await currentVerdict(new MemoryStateStore(), key)).toEqual({
      kind: 'unavailable',
      reason: 'no verdict recorded: the automation has not seen a scan of this image',
    });
    expect(verdictOf(state({}, 3))).toEqual({
      kind: 'unavailable',
      reason: 'no verdict recorded yet: the scan result has not been decided',
    });
  });
});
