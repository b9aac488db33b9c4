import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backfillKey,
  BackfillStateError,
  openBackfillState,
} from '../../../shared/replication/backfill-state';

const AT = new Date('2026-11-23T01:00:00Z');

describe('backfill state', () => {
  let path: string;
  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'hm-state-')), '.harbormaster-backfill.json');
  });

  it('saves each finished copy at once and reads it back in the next run', () => {
    // Prepare
    const key = backfillKey('dr', `sha256:${'a'.repeat(64)}`, 'ghcr.io/org/app', ['v2', 'v1']);

    // Act
    openBackfillState(path).markDone(key, AT);
    const reopened = openBackfillState(path);

    // Assess
    expect(reopened.has(key)).toBe(true);
    expect(reopened.has(backfillKey('dr', `sha256:${'a'.repeat(64)}`, 'ghcr.io/org/app', ['v1']))).toBe(
      false,
    );
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ version: 1, done: { [key]: AT.toISOString() } });
  });

  it('orders tags so the same set is the same key', () => {
    expect(backfillKey('r', 'd', 'x', ['b', 'a'])).toBe(backfillKey('r', 'd', 'x', ['a', 'b']));
  });

  it('keeps nothing on disk without a path', () => {
    const state = openBackfillState(undefined);
    state.markDone('k', AT);

    expect(state.has('k')).toBe(true);
    expect(state.path).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"done": ['],
    ['another version', '{"version": 2, "done": {}}'],
    ['done not an object', '{"version": 1, "done": []}'],
  ])('rejects a state file that is %s, telling what to do', (_name, text) => {
    writeFileSync(path, text);

    expect(() => openBackfillState(path)).toThrow(BackfillStateError);
    expect(() => openBackfillState(path)).toThrow(/delete it to start over/);
  });
});
