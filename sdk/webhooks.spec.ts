// Deliveries signed as Ymera signs them.
import { signedWebhookHeaders } from '../src/webhooks/webhook-message';
import {
  verifyWebhook,
  WebhookHeader,
  WebhookTaskEvent,
  WebhookVerificationError,
} from './webhooks';

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const event: WebhookTaskEvent = {
  type: 'task.completed',
  timestamp: '2026-12-01T10:00:02.120Z',
  data: {
    eventId: 42,
    taskId: '0b9e6f2c-3d1a-4c5e-9f7a-2b8c1d0e4f63',
    type: 'task.completed',
    at: '2026-12-01T10:00:02.120Z',
    status: 'completed',
    attempt: 1,
    data: { result: { words: 6 } },
  },
};

function signed(body: unknown, at = new Date()) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return { raw, headers: signedWebhookHeaders(secret, 'msg_1_42', raw, at) };
}

function rejection(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error;
    throw error;
  }
  throw new Error('verifyWebhook accepted the request');
}

describe('verifyWebhook', () => {
  it('returns the payload of a delivery signed with the secret (string, bytes, Headers)', () => {
    const { raw, headers } = signed(event);
    expect(verifyWebhook(secret, headers, raw)).toEqual(event);
    expect(verifyWebhook(secret, new Headers(headers), Buffer.from(raw))).toEqual(event);
  });

  it('refuses another secret, another body and another webhook-id (401)', () => {
    const { raw, headers } = signed(event);
    const other = 'whsec_' + Buffer.alloc(24, 7).toString('base64');
    for (const error of [
      rejection(() => verifyWebhook(other, headers, raw)),
      rejection(() => verifyWebhook(secret, headers, raw.replace('42', '43'))),
      rejection(() => verifyWebhook(secret, { ...headers, [WebhookHeader.Id]: 'msg_2' }, raw)),
    ]) {
      expect(error).toMatchObject({ reason: 'bad-signature', status: 401 });
    }
  });

  it('refuses a delivery without its headers, or signed too long ago (a replay)', () => {
    const { raw, headers } = signed(event, new Date(Date.now() - 10 * 60_000));
    expect(rejection(() => verifyWebhook(secret, headers, raw)).reason).toBe('stale-timestamp');
    const unsigned = { ...signed(event).headers, [WebhookHeader.Signature]: undefined };
    expect(rejection(() => verifyWebhook(secret, unsigned, raw)).reason).toBe('bad-headers');
  });

  it('refuses a signed body that is not a task event (400)', () => {
    for (const body of ['not json', { hello: 'world' }]) {
      const { raw, headers } = signed(body);
      expect(rejection(() => verifyWebhook(secret, headers, raw))).toMatchObject({
        reason: 'malformed-body',
        status: 400,
      });
    }
  });

  it('says when the secret is not a webhook secret', () => {
    const { raw, headers } = signed(event);
    expect(() => verifyWebhook('', headers, raw)).toThrow(TypeError);
  });
});
