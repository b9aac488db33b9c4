import { fromAttributeMap, toAttributeMap, toAttributeValue } from '../../../shared/audit/attribute-values';

describe('audit attribute values', () => {
  it('round-trips the JSON the audit rows hold', () => {
    // Prepare
    const detail = {
      result: 'fail',
      counts: { HIGH: 2, LOW: 0 },
      ids: ['CVE-1', 'CVE-2'],
      ok: false,
      none: null,
      nested: [{ a: 1.5 }],
    };

    // Act
    const back = fromAttributeMap(toAttributeMap(detail));

    // Assess
    expect(back).toEqual(detail);
  });

  it('drops undefined members instead of storing them', () => {
    // Act
    const map = toAttributeMap({ kept: 'x', dropped: undefined });

    // Assess
    expect(map).toEqual({ kept: { S: 'x' } });
  });

  it('refuses values DynamoDB cannot hold faithfully', () => {
    // Act / Assess
    expect(() => toAttributeValue(Number.NaN)).toThrow('cannot store the number NaN in an audit row');
    expect(() => toAttributeValue(() => 1)).toThrow('cannot store a function in an audit row');
  });
});
