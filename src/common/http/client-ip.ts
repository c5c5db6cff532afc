import type { Request } from 'express';
import { isIP } from 'node:net';

/** The longest textual IP address: an IPv6 address ending in a dotted IPv4 one. */
const MAX_IP_LENGTH = 45;

/** Whether a value is an IPv4 or IPv6 address (zone ids refused: no client sends one). */
export function isIpAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_IP_LENGTH && isIP(value) !== 0;
}

/**
 * The address a request came from, as the audit trail and the rate limits count it. Express'
 * `request.ip` honours TRUST_PROXY, and then takes a hop of X-Forwarded-For as it is: whatever
 * string a client wrote there. Only a valid IP address is believed; anything else falls back to
 * the socket's address, so no header can put arbitrary text in the trail or in a rate-limit key.
 */
export function clientIp(request: Request): string | null {
  const forwarded = request.ip;
  if (isIpAddress(forwarded)) return forwarded;
  return request.socket?.remoteAddress ?? null;
}
