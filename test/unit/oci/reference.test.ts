import { formatReference, isEcrHost, parseReference, ReferenceError } from '../../../shared/oci/reference';

describe('parseReference', () => {
  it.each([
    ['127.0.0.1:5001/team/app:v1', { registry: '127.0.0.1:5001', repository: 'team/app', tag: 'v1' }],
    ['ghcr.io/org/app:1', { registry: 'ghcr.io', repository: 'org/app', tag: '1' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' }],
    ['org/app:2.1', { registry: 'docker.io', repository: 'org/app', tag: '2.1' }],
    [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.4.2',
      { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'team/app', tag: '1.4.2' },
    ],
  ])('reads %s', (text, expected) => {
    // Act
    const reference = parseReference(text);

    // Assess
    expect(reference).toEqual(expected);
  });

  it('reads a digest reference, with or without a tag, and keeps no default tag beside a digest', () => {
    // Prepare
    const digest = `sha256:${'a'.repeat(64)}`;

    // Act
    const byDigest = parseReference(`127.0.0.1:5001/team/app@${digest}`);
    const both = parseReference(`127.0.0.1:5001/team/app:v1@${digest}`);

    // Assess
    expect(byDigest).toEqual({ registry: '127.0.0.1:5001', repository: 'team/app', digest });
    expect(both).toEqual({ registry: '127.0.0.1:5001', repository: 'team/app', tag: 'v1', digest });
    expect(formatReference(both)).toBe(`127.0.0.1:5001/team/app:v1@${digest}`);
  });

  it.each([
    ['', /empty/],
    ['127.0.0.1:5001/team/App:v1', /repository "team\/App" is not valid/],
    ['127.0.0.1:5001/team/app@sha256:abc', /digest must be sha256/],
    ['127.0.0.1:5001/team/app:bad/tag', /not valid/],
    ['127.0.0.1:5001/team/app:-x', /tag "-x" is not valid/],
  ])('rejects %j naming what is wrong', (text, message) => {
    // Act / Assess
    expect(() => parseReference(text)).toThrow(ReferenceError);
    expect(() => parseReference(text)).toThrow(message);
  });
});

describe('isEcrHost', () => {
  it.each([
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', { accountId: '123456789012', region: 'eu-west-1' }],
    ['123456789012.dkr.ecr-fips.us-east-1.amazonaws.com', { accountId: '123456789012', region: 'us-east-1' }],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', { accountId: '123456789012', region: 'cn-north-1' }],
    ['123456789012.dkr-ecr.ap-southeast-2.on.aws', { accountId: '123456789012', region: 'ap-southeast-2' }],
  ])('recognises %s', (host, expected) => {
    expect(isEcrHost(host)).toEqual(expected);
  });

  it.each([
    'public.ecr.aws',
    'ghcr.io',
    '127.0.0.1:5000',
    '12345.dkr.ecr.eu-west-1.amazonaws.com',
    'evil.com/123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  ])('does not treat %s as private ECR', (host) => {
    expect(isEcrHost(host)).toBeUndefined();
  });
});
