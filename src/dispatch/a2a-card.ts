import type { AgentCard, AgentInterface } from '@a2a-js/sdk';
import { DefaultAgentCardResolver } from '@a2a-js/sdk/client';
import { AgentCardError, DispatchErrorCode } from './dispatch.errors';

/** Where an A2A agent publishes its card, below its endpointUrl (docs/agent-protocol.md). */
export const AGENT_CARD_PATH = '/.well-known/agent-card.json';

const JSON_RPC = 'JSONRPC';

/** What Ymera uses of an agent card: the card, narrowed to the one interface it talks to. */
export interface ReadAgentCard {
  /** The card with `supportedInterfaces` reduced to `rpc`, so the SDK's client cannot pick another. */
  card: AgentCard;
  /** The JSON-RPC interface messages go to (its url passes the SSRF policy before each request). */
  rpc: AgentInterface;
  /** The ids of the card's skills, in the card's order. */
  skillIds: string[];
}

/** `<endpointUrl>/.well-known/agent-card.json`: the card sits below the endpoint, whatever its path. */
export function agentCardUrl(endpointUrl: string): string {
  const url = new URL(endpointUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${AGENT_CARD_PATH}`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

const invalid = (message: string) =>
  new AgentCardError(DispatchErrorCode.AgentCardInvalid, `The agent card ${message}.`);

/** The SDK's own reading of a card, with its 0.3 compatibility: a 0.3 card becomes a 1.0 one. */
const resolver = new DefaultAgentCardResolver({ legacyCompat: { enabled: true } });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a parsed card (1.0, or 0.3 through the SDK's compatibility layer) and picks its JSON-RPC
 * interface the way the SDK's client factory would (a protocol 1.0 one first). Throws an
 * AgentCardError (agent-card-invalid) naming what is wrong.
 */
export function parseAgentCard(raw: unknown): ReadAgentCard {
  if (!isObject(raw)) throw invalid('is not a JSON object');
  let card: AgentCard;
  try {
    card = resolver.normalizeAgentCard(raw);
  } catch (error) {
    throw invalid(`is not an A2A agent card (${(error as Error).message})`);
  }
  const interfaces: unknown = card.supportedInterfaces;
  if (!Array.isArray(interfaces)) throw invalid('has no supportedInterfaces');
  const rpcs = interfaces.filter(
    (entry): entry is AgentInterface =>
      isObject(entry) &&
      typeof entry.protocolBinding === 'string' &&
      entry.protocolBinding.toUpperCase() === JSON_RPC &&
      typeof entry.url === 'string',
  );
  const rpc = rpcs.find((entry) => entry.protocolVersion === '1.0') ?? rpcs[0];
  if (!rpc) throw invalid('names no JSON-RPC interface (Ymera speaks A2A over JSON-RPC)');
  try {
    new URL(rpc.url);
  } catch {
    throw invalid('names a JSON-RPC interface whose url is not a URL');
  }
  const skills: unknown = card.skills;
  if (!Array.isArray(skills)) throw invalid('has no skills list');
  const skillIds = skills.map((skill: unknown) => {
    if (!isObject(skill) || typeof skill.id !== 'string')
      throw invalid('has a skill without an id');
    return skill.id;
  });
  return { card: { ...card, supportedInterfaces: [rpc] }, rpc, skillIds };
}
