import { diffFindings, findingSetHash } from '../../../shared/policy/findings-diff';

describe('diffFindings', () => {
  it('first scan: everything is new', () => {
    expect(
      diffFindings(undefined, [
        { id: 'CVE-2', severity: 'HIGH' },
        { id: 'CVE-1', severity: 'LOW' },
      ]),
    ).toEqual({
      new: ['CVE-1', 'CVE-2'],
      fixed: [],
      changed: true,
    });
  });

  it('first scan with no findings is not a change', () => {
    expect(diffFindings(undefined, [])).toEqual({ new: [], fixed: [], changed: false });
  });

  it('a re-scan with the same set is unchanged, whatever the order or duplicates', () => {
    expect(diffFindings(['CVE-1', 'CVE-2'], ['CVE-2', 'CVE-1', 'CVE-1'])).toEqual({
      new: [],
      fixed: [],
      changed: false,
    });
  });

  it('lists new and fixed ids', () => {
    expect(
      diffFindings(
        ['CVE-1', 'CVE-2'],
        [
          { id: 'CVE-2', severity: 'HIGH' },
          { id: 'CVE-3', severity: 'CRITICAL' },
        ],
      ),
    ).toEqual({
      new: ['CVE-3'],
      fixed: ['CVE-1'],
      changed: true,
    });
  });

  it('everything fixed is a change', () => {
    expect(diffFindings(['CVE-1'], [])).toEqual({ new: [], fixed: ['CVE-1'], changed: true });
  });
});

describe('findingSetHash', () => {
  it('is stable across order and duplicates', () => {
    expect(findingSetHash(['CVE-2', 'CVE-1'])).toBe(
      findingSetHash([{ id: 'CVE-1', severity: 'LOW' }, 'CVE-2', 'CVE-2']),
    );
  });

  it('differs when the set differs', () => {
    expect(findingSetHash(['CVE-1'])).not.toBe(findingSetHash(['CVE-1', 'CVE-2']));
  });

  it('is a sha256 fingerprint', () => {
    expect(findingSetHash([])).toMatch(/^sha256:[a-f0-9]{64}$/);
  });
});
