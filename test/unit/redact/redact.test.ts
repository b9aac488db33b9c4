import {
  REDACTED,
  Redactor,
  cleanText,
  cut,
  oneLine,
  redact,
  scrubErrorChain,
  secretForms,
} from '../../../shared/redact/redact';

const PASSWORD = 'pa55:word-Secret/+=';
const PAIR = `robot:${PASSWORD}`;

describe('redact', () => {
  it.each([
    ['raw', PASSWORD],
    ['URL-encoded', encodeURIComponent(PASSWORD)],
    [
      'URL-encoded with lower-case escapes',
      encodeURIComponent(PASSWORD).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    ],
    ['form-encoded', new URLSearchParams({ p: PASSWORD }).toString().slice(2)],
    ['double URL-encoded', encodeURIComponent(encodeURIComponent(PASSWORD))],
    ['base64', Buffer.from(PASSWORD).toString('base64')],
    ['base64url', Buffer.from(PASSWORD).toString('base64url')],
    ['base64 of user:password', Buffer.from(PAIR).toString('base64')],
    ['base64 inside a longer base64 text', Buffer.from(`x${PAIR}yz`).toString('base64')],
    ['URL-encoded base64', encodeURIComponent(Buffer.from(PAIR).toString('base64'))],
  ])('removes a known secret in its %s form', (_form, echoed) => {
    // Act
    const cleaned = new Redactor()
      .addCredentials({ username: 'robot', password: PASSWORD })
      .clean(`you sent ${echoed} and that is wrong`);

    // Assess
    expect(cleaned).toContain(REDACTED);
    expect(cleaned).not.toContain(echoed);
    for (const form of secretForms(PASSWORD)) expect(cleaned).not.toContain(form);
    expect(cleaned.startsWith('you sent ')).toBe(true);
  });

  it.each([
    [
      'an echoed Authorization header',
      'Authorization: Basic cm9ib3Q6c2VjcmV0MTIz',
      'Authorization: <redacted>',
    ],
    ["Go's header map", 'map[Authorization:[Bearer abc.def-123]]', 'map[Authorization:[<redacted>]]'],
    ['a bare bearer token', 'got Bearer 0123456789abcdef', 'got Bearer <redacted>'],
    ['a JWT', 'token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature', 'token <redacted>'],
    [
      'a JSON token field',
      '{"token":"s3cr3t-value","expires_in":60}',
      '{"token":"<redacted>","expires_in":60}',
    ],
    ['a password field', 'password=hunter22&user=x', 'password=<redacted>&user=x'],
    [
      'a pre-signed URL',
      'https://s3/x?X-Amz-Signature=abcd&X-Amz-Credential=AKIA/x',
      'https://s3/x?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>',
    ],
    ['URL user info', 'https://robot:pw@registry/v2/', 'https://<redacted>@registry/v2/'],
  ])('removes %s without knowing the secret', (_what, text, expected) => {
    // Act & Assess
    expect(redact(text)).toBe(expected);
  });

  it('leaves ordinary words alone ("basic authentication", "token service")', () => {
    // Act & Assess
    expect(redact('the registry asks for basic authentication; the token service refused')).toBe(
      'the registry asks for basic authentication; the token service refused',
    );
  });

  it('does not search for secrets too short to be told from ordinary text', () => {
    // Act & Assess
    expect(secretForms('pw')).toEqual([]);
    expect(new Redactor(['pw']).clean('upload ok')).toBe('upload ok');
  });
});

describe('cleanText', () => {
  it('collapses a multi-line body with escapes to one line, so it cannot forge CLI lines', () => {
    // Act
    const cleaned = cleanText('denied\r\nharbormaster: copy succeeded\u001b[2K\u2028\tnext\u0000');

    // Assess
    expect(cleaned).toBe('denied harbormaster: copy succeeded next');
  });

  it('cuts a 30 KB body to the limit and says how much was left off', () => {
    // Act
    const cleaned = cleanText('x'.repeat(30_000), { maxLength: 300 });

    // Assess
    expect(cleaned).toBe(`${'x'.repeat(300)}… (29700 more characters)`);
  });

  it('redacts before cutting, so a secret across the cut never leaves a prefix behind', () => {
    // Prepare
    const text = `${'a '.repeat(145)}${PASSWORD} trailing`;

    // Act
    const cleaned = cleanText(text, { secrets: [PASSWORD], maxLength: 300 });

    // Assess
    expect(cleaned).not.toContain(PASSWORD.slice(0, 6));
    expect(cleaned).toContain(REDACTED.slice(0, 5));
  });

  it('cut and oneLine leave short clean text as it is', () => {
    // Act & Assess
    expect(cut('short', 10)).toBe('short');
    expect(oneLine('  one   line ')).toBe('one line');
  });
});

describe('Redactor.cleanError', () => {
  it('cleans the message and stack of an error and of every cause', () => {
    // Prepare
    const root = new Error(`body:\n${PASSWORD}`);
    const error = new Error(`failed with ${Buffer.from(PAIR).toString('base64')}`, { cause: root });

    // Act
    new Redactor().addCredentials({ username: 'robot', password: PASSWORD }).cleanError(error);

    // Assess
    expect(error.message).toBe(`failed with ${REDACTED}`);
    expect(root.message).toBe(`body: ${REDACTED}`);
    expect(error.stack).not.toContain(Buffer.from(PAIR).toString('base64'));
    expect(root.stack).not.toContain(PASSWORD);
  });

  it('stops at a cycle in the cause chain', () => {
    // Prepare
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    const seen: string[] = [];

    // Act
    scrubErrorChain(a, (text) => {
      seen.push(text);
      return text;
    });

    // Assess
    expect(seen).toEqual(['a', 'b']);
  });
});
