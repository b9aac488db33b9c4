import { AlertFormatError, slackPayloadFromSns } from '../../../shared/notify/slack-from-sns';
import { buildSnsAlert } from '../../../shared/notify/sns-alert';
import { failingAlert } from './alert-fixture';

function notification(message: ReturnType<typeof buildSnsAlert>) {
  return {
    MessageId: 'sns-1',
    Subject: message.Subject,
    Message: message.Message,
    MessageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes).map(([k, v]) => [
        k,
        { Type: 'String', Value: v.StringValue ?? '' },
      ]),
    ),
  };
}

describe('slackPayloadFromSns', () => {
  it('renders Block Kit from the alert attribute the scan path publishes', () => {
    // Act
    const payload = slackPayloadFromSns(notification(buildSnsAlert(failingAlert())));

    // Assess
    expect(payload.text).toBe('FAIL payments/api:v1.4.2: 1 CRITICAL, 1 HIGH, 3 MEDIUM');
    expect(payload.blocks[0]).toMatchObject({ type: 'header' });
  });

  it('posts a message without an alert attribute as subject and preformatted text, clipped for Slack', () => {
    // Act
    const payload = slackPayloadFromSns({
      MessageId: 'x',
      Subject: 'Replication failed',
      Message: 'a'.repeat(5000),
    });

    // Assess
    expect(payload.text).toBe('Replication failed');
    const text = (payload.blocks[1] as { text: { text: string } }).text.text;
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.startsWith('```')).toBe(true);
  });

  it('rejects an alert attribute it does not understand, naming the field', () => {
    // Prepare
    const bad = {
      MessageId: 'x',
      Message: 'm',
      MessageAttributes: { alert: { Type: 'String', Value: '{"version":2}' } },
    };

    // Act / Assess
    expect(() => slackPayloadFromSns(bad)).toThrow(
      new AlertFormatError('message attribute alert.version: expected 1, got 2'),
    );
  });
});
