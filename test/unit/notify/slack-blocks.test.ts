import { buildSlackBlocks } from '../../../shared/notify/slack-blocks';
import { failingAlert } from './alert-fixture';

// Block Kit is loosely typed on purpose (Slack owns the schema); tests dig into it freely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Block = Record<string, any>;

describe('buildSlackBlocks', () => {
  it('starts with a header naming the verdict and image, and has a fallback text', () => {
    // Act
    const payload = buildSlackBlocks(failingAlert());

    // Assess
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'FAIL: payments/api:v1.4.2', emoji: true },
    });
    expect(payload.text).toBe('FAIL payments/api:v1.4.2: 1 CRITICAL, 1 HIGH, 3 MEDIUM');
  });

  it('shows every severity count as a field, most severe first', () => {
    // Act
    const blocks = buildSlackBlocks(failingAlert()).blocks as Block[];

    // Assess
    const fields = blocks.find((b) => b.fields)?.fields as Block[];
    expect(fields.map((f) => f.text)).toEqual([
      ':red_circle: *CRITICAL*\n1',
      ':large_orange_circle: *HIGH*\n1',
      ':large_yellow_circle: *MEDIUM*\n3',
      ':large_blue_circle: *LOW*\n0',
      ':white_circle: *INFORMATIONAL*\n0',
      ':white_circle: *UNDEFINED*\n0',
    ]);
  });

  it('lists the top CVEs with package installed -> fixed and links them', () => {
    // Act
    const blocks = buildSlackBlocks(failingAlert()).blocks as Block[];

    // Assess
    const top = blocks.find((b) => b.text?.text?.startsWith('*Top findings*'))?.text.text as string;
    expect(top).toContain(
      '<https://nvd.nist.gov/vuln/detail/CVE-2024-3094|CVE-2024-3094> (CRITICAL) — `xz-utils 5.6.0 → 5.6.1`',
    );
    expect(top).toContain('*CVE-2023-4911* (HIGH) — `glibc 2.35-0ubuntu3.3 (no fix yet)`');
  });

  it('says the image was quarantined and lists new and fixed CVEs', () => {
    // Act
    const texts = (buildSlackBlocks(failingAlert()).blocks as Block[]).map((b) => b.text?.text ?? '');

    // Assess
    expect(texts.some((t) => t.startsWith(':no_entry: *Quarantined*: release tags removed (`v1.4.2`)'))).toBe(
      true,
    );
    expect(texts).toContain('*New* (1): `CVE-2024-3094`\n*Fixed* (1): `CVE-2022-0001`');
  });

  it('links to the image findings in the ECR console with a button', () => {
    // Prepare
    const alert = failingAlert();

    // Act
    const actions = (buildSlackBlocks(alert).blocks as Block[]).find((b) => b.type === 'actions');

    // Assess
    expect(actions?.elements[0]).toMatchObject({ type: 'button', url: alert.consoleUrl, style: 'danger' });
  });

  it('escapes mrkdwn control characters coming from scanner data', () => {
    // Act
    const blocks = buildSlackBlocks(
      failingAlert({ verdict: { result: 'fail', reason: 'fail: <script> & co' } }),
    ).blocks as Block[];

    // Assess
    expect(blocks[1].text.text).toBe(':rotating_light: *fail: &lt;script&gt; &amp; co*');
  });

  it('keeps every section under Slack limits for a huge list of new findings', () => {
    // Prepare
    const many = Array.from({ length: 2000 }, (_, i) => `CVE-2024-${String(i).padStart(5, '0')}`);

    // Act
    const blocks = buildSlackBlocks(failingAlert({ newFindings: many })).blocks as Block[];

    // Assess
    for (const b of blocks)
      if (b.text?.text) expect((b.text.text as string).length).toBeLessThanOrEqual(3000);
    expect(blocks.some((b) => (b.text?.text ?? '').includes('+1985 more'))).toBe(true);
  });
});
