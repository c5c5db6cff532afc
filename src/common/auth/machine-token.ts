import { createHash, randomBytes } from 'node:crypto';

/**
 * The two opaque bearer tokens Ymera issues to machines (README, "Machine identities"): an agent's
 * own token and a user's API key. The prefix says which one a token is, so the one authentication
 * path picks how to check a bearer token from its form alone (anything else is a JWT).
 */
export const MACHINE_TOKEN_PREFIXES = { agent: 'ymra_', apiKey: 'ymrk_' } as const;
export type MachineTokenKind = keyof typeof MACHINE_TOKEN_PREFIXES;

/**
 * Announced at commit, with the old token hash in hex, by the triggers of api_keys and agents
 * whenever a token stops meaning what it meant (migration MachineIdentities1764806400000).
 */
export const CREDENTIAL_CHANGED_CHANNEL = 'ymera_credential_changed';

/** 256 bits of randomness: no token can be guessed, whatever the rate of tries. */
const TOKEN_BYTES = 32;
const ENCODED_LENGTH = Math.ceil((TOKEN_BYTES * 8) / 6);
const BODY = new RegExp(`^[A-Za-z0-9_-]{${ENCODED_LENGTH}}$`);
/** Characters of the random part kept in `prefix`: enough to tell keys apart, far too few to guess. */
const VISIBLE_CHARACTERS = 6;

export interface IssuedToken {
  /** The token itself: handed out once, never stored. */
  token: string;
  /** What is stored and looked up: SHA-256 of the token. */
  hash: Buffer;
  /** A short, non-secret start of the token that lets its owner recognise it (`ymrk_AbC12x`). */
  prefix: string;
}

/**
 * SHA-256, unsalted and fast, is the right hash here, unlike for passwords: the token is 256
 * random bits, so there is no dictionary to try and a salt or a slow hash would protect nothing,
 * while a plain digest lets the token be found by an index lookup on its hash. Lookups compare
 * hashes, not tokens, so their timing can reveal at most the start of a hash, which does not help
 * to find a token that produces it.
 */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function issueToken(kind: MachineTokenKind): IssuedToken {
  const prefix = MACHINE_TOKEN_PREFIXES[kind];
  const token = `${prefix}${randomBytes(TOKEN_BYTES).toString('base64url')}`;
  return {
    token,
    hash: hashToken(token),
    prefix: token.slice(0, prefix.length + VISIBLE_CHARACTERS),
  };
}

/** Which kind of machine token a bearer token claims to be, from its prefix; null for a JWT. */
export function machineTokenKind(token: string): MachineTokenKind | null {
  for (const kind of Object.keys(MACHINE_TOKEN_PREFIXES) as MachineTokenKind[]) {
    if (token.startsWith(MACHINE_TOKEN_PREFIXES[kind])) return kind;
  }
  return null;
}

/**
 * The hash to look a presented token up by, or null when it cannot be one Ymera issued (wrong
 * length or characters): such a token is refused without a database round trip.
 */
export function presentedTokenHash(kind: MachineTokenKind, token: string): Buffer | null {
  const prefix = MACHINE_TOKEN_PREFIXES[kind];
  if (!token.startsWith(prefix) || !BODY.test(token.slice(prefix.length))) return null;
  return hashToken(token);
}
