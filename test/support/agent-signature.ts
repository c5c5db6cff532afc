import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * What an agent does with X-Ymera-Timestamp and X-Ymera-Signature, written the way an agent author
 * would and independently of Ymera's signing code: the expected `sha256=<hex HMAC-SHA256(secret,
 * timestamp + "." + raw body)>`, compared in constant time.
 */
export function verifySignature(
  secret: string,
  timestamp: string,
  rawBody: string | Buffer,
  signature: string | undefined,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(
    `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`,
  );
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
