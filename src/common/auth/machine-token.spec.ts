import { createHash } from 'node:crypto';
import {
  hashToken,
  issueToken,
  MACHINE_TOKEN_PREFIXES,
  machineTokenKind,
  presentedTokenHash,
} from './machine-token';

describe('machine tokens', () => {
  it.each([
    ['agent', 'ymra_'],
    ['apiKey', 'ymrk_'],
  ] as const)('issues %s tokens: prefixed, 256 random bits, stored as SHA-256', (kind, prefix) => {
    const issued = issueToken(kind);
    expect(issued.token).toMatch(new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`));
    expect(issued.hash).toEqual(createHash('sha256').update(issued.token).digest());
    expect(issued.prefix).toBe(issued.token.slice(0, prefix.length + 6));
    expect(issueToken(kind).token).not.toBe(issued.token);
  });

  it('tells the kind of a bearer token from its form, anything else being a JWT', () => {
    expect(machineTokenKind(issueToken('agent').token)).toBe('agent');
    expect(machineTokenKind(issueToken('apiKey').token)).toBe('apiKey');
    expect(machineTokenKind('eyJhbGciOiJIUzI1NiJ9.e30.x')).toBeNull();
    expect(machineTokenKind('YMRK_abc')).toBeNull();
    expect(machineTokenKind('')).toBeNull();
  });

  it('hashes a well-formed presented token for its lookup', () => {
    const issued = issueToken('apiKey');
    expect(presentedTokenHash('apiKey', issued.token)).toEqual(issued.hash);
    expect(hashToken(issued.token)).toEqual(issued.hash);
  });

  it.each([
    ['too short', `${MACHINE_TOKEN_PREFIXES.apiKey}abc`],
    ['too long', `${issueToken('apiKey').token}A`],
    ['a character outside base64url', `${issueToken('apiKey').token.slice(0, -1)}+`],
    ['the other prefix', issueToken('agent').token],
    ['a space inside', `${issueToken('apiKey').token.slice(0, 20)} ${'a'.repeat(27)}`],
  ])('refuses a malformed token (%s) without a lookup', (_, token) => {
    expect(presentedTokenHash('apiKey', token)).toBeNull();
  });
});
