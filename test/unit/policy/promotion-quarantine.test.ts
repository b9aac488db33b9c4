import { promotionTags } from '../../../shared/policy/promotion';
import { quarantineTags } from '../../../shared/policy/quarantine';
import { findRepository, unmanagedReason } from '../../../shared/policy/managed';
import { repo, testConfig } from './config';

const config = testConfig();

describe('promotionTags', () => {
  it('adds the configured promotion tags', () => {
    expect(promotionTags(repo(config, 'payments/api'), ['v1.4.2'])).toEqual(['scanned']);
  });

  it('skips promotion tags the image already has', () => {
    expect(promotionTags(repo(config, 'payments/api'), ['v1.4.2', 'scanned'])).toEqual([]);
  });

  it('adds nothing when the repository promotes nothing', () => {
    expect(promotionTags(repo(config, 'platform/tools'), ['1.0.0'])).toEqual([]);
  });
});

describe('quarantineTags', () => {
  it('removes the release tags of a quarantining repository, sorted', () => {
    expect(quarantineTags(repo(config, 'payments/api'), ['v1.4.2', 'latest', 'v1', 'git-3f2a1bc'])).toEqual([
      'v1',
      'v1.4.2',
    ]);
  });

  it('removes nothing when quarantine is off', () => {
    expect(quarantineTags(repo(config, 'payments/worker'), ['v2.0.1'])).toEqual([]);
  });

  it('removes nothing from an image without release tags', () => {
    expect(quarantineTags(repo(config, 'platform/base-images/node'), ['22', 'latest'])).toEqual([]);
  });
});

describe('findRepository', () => {
  it('finds a managed repository by exact name', () => {
    expect(findRepository(config, 'payments/api')?.team).toBe('payments');
  });

  it('is undefined for an unmanaged one (no prefix or glob matching)', () => {
    expect(findRepository(config, 'payments')).toBeUndefined();
    expect(findRepository(config, 'payments/api/extra')).toBeUndefined();
  });

  it('words the ignore reason once', () => {
    expect(unmanagedReason('sandbox/x')).toBe('repository sandbox/x is not managed by Harbormaster');
  });
});
