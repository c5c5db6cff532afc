import { Webhook as StandardWebhook } from 'standardwebhooks';
import type { TaskEvent } from '../execution/task-events.service';
import {
  deliveryError,
  newWebhookSecret,
  retryDelayMs,
  signedWebhookHeaders,
  webhookMessageId,
  webhookPayload,
} from './webhook-message';
import {
  EXAMPLE_MESSAGE_ID,
  EXAMPLE_PAYLOAD,
  EXAMPLE_SIGNATURE,
  EXAMPLE_TIMESTAMP,
  EXAMPLE_WEBHOOK_SECRET,
} from './webhooks.openapi';

describe('webhook messages', () => {
  it('makes Standard Webhooks secrets of 32 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('gives every attempt of a message one webhook-id, and other messages others', () => {
    const webhook = '4d6c8c36-7b8a-4c1e-9a57-2a1f0c7e5b10';
    expect(webhookMessageId(webhook, 42)).toBe('msg_4d6c8c367b8a4c1e9a572a1f0c7e5b10_42');
    expect(webhookMessageId(webhook, '42')).toBe(webhookMessageId(webhook, 42));
    expect(webhookMessageId(webhook, 43)).not.toBe(webhookMessageId(webhook, 42));
  });

  it('carries the event as clients see it, with its id, in { type, timestamp, data }', () => {
    const event: TaskEvent = {
      id: 42,
      ownerId: 'owner',
      taskId: '0b9e6f2c-3d1a-4c5e-9f7a-2b8c1d0e4f63',
      type: 'task.completed',
      status: 'completed',
      taskType: 'summarize',
      attempt: 1,
      data: { result: { words: 6 } },
      at: new Date('2026-12-01T10:00:02.120Z'),
    };
    expect(webhookPayload(event)).toEqual(EXAMPLE_PAYLOAD);
    const created = webhookPayload({ ...event, type: 'task.created', attempt: null, data: null });
    expect(created.data).not.toHaveProperty('attempt');
    expect(created.data).not.toHaveProperty('data');
  });

  it('signs as the OpenAPI example says, which standardwebhooks verifies', () => {
    const body = JSON.stringify(EXAMPLE_PAYLOAD);
    const at = new Date(Number(EXAMPLE_TIMESTAMP) * 1000);
    const headers = signedWebhookHeaders(EXAMPLE_WEBHOOK_SECRET, EXAMPLE_MESSAGE_ID, body, at);
    expect(headers).toEqual({
      'webhook-id': EXAMPLE_MESSAGE_ID,
      'webhook-timestamp': EXAMPLE_TIMESTAMP,
      'webhook-signature': EXAMPLE_SIGNATURE,
    });
    const now = signedWebhookHeaders(EXAMPLE_WEBHOOK_SECRET, EXAMPLE_MESSAGE_ID, body);
    expect(new StandardWebhook(EXAMPLE_WEBHOOK_SECRET).verify(body, now)).toEqual(EXAMPLE_PAYLOAD);
  });

  it('waits base * 2^(attempt-1) after a failed attempt, at most a day', () => {
    expect([1, 2, 3, 8].map((attempt) => retryDelayMs(1000, attempt))).toEqual([
      1000, 2000, 4000, 128_000,
    ]);
    expect(retryDelayMs(3_600_000, 50)).toBe(24 * 3_600_000);
  });

  it('says why an attempt failed, keeping only the start of what the receiver said', () => {
    const body = Buffer.from(JSON.stringify({ detail: `busy ${'x'.repeat(5000)}` }));
    const error = deliveryError({ kind: 'response', status: 503, body, oversized: false });
    expect(error).toMatch(/^HTTP 503: busy x+…$/);
    expect(error.length).toBeLessThanOrEqual(1010);
    expect(
      deliveryError({ kind: 'response', status: 500, body: Buffer.alloc(0), oversized: false }),
    ).toBe('HTTP 500');
    expect(deliveryError({ kind: 'timeout', timeoutMs: 3000 })).toBe('no answer within 3000 ms');
    expect(deliveryError({ kind: 'network', code: 'ECONNREFUSED', message: 'connect' })).toBe(
      'could not reach the receiver: ECONNREFUSED',
    );
  });
});
