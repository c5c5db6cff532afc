import { capabilitiesFromSkills } from '../agents/a2a-capabilities';
import { agentCardUrl, parseAgentCard } from './a2a-card';
import { AgentCardError } from './dispatch.errors';

const skill = (id: string) => ({ id, name: id, description: id, tags: [] });

/** A card as an A2A 1.0 agent serves it. */
const v1Card = (interfaces: object[]) => ({
  name: 'agent',
  description: 'an agent',
  supportedInterfaces: interfaces,
  version: '1',
  capabilities: {},
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [skill('summarize'), skill('translate')],
});

/** A card as an A2A 0.3 agent serves it. */
const v03Card = {
  name: 'agent',
  description: 'an old agent',
  protocolVersion: '0.3.0',
  version: '1',
  url: 'https://old.example/rpc',
  preferredTransport: 'JSONRPC',
  capabilities: {},
  defaultInputModes: ['text/plain'],
  defaultOutputModes: ['text/plain'],
  skills: [skill('summarize')],
};

function refusal(raw: unknown): string {
  try {
    parseAgentCard(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(AgentCardError);
    return (error as Error).message;
  }
  throw new Error('the card was accepted');
}

describe('agentCardUrl', () => {
  it.each([
    ['https://a.example', 'https://a.example/.well-known/agent-card.json'],
    ['https://a.example/', 'https://a.example/.well-known/agent-card.json'],
    ['https://a.example/agents/x/?q=1#h', 'https://a.example/agents/x/.well-known/agent-card.json'],
  ])('%s -> %s', (endpoint, card) => expect(agentCardUrl(endpoint)).toBe(card));
});

describe('parseAgentCard', () => {
  it('picks the protocol 1.0 JSON-RPC interface and narrows the card to it', () => {
    const read = parseAgentCard(
      v1Card([
        { url: 'https://a.example/rest', protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
        { url: 'https://a.example/old', protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
        { url: 'https://a.example/rpc', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      ]),
    );
    expect(read.rpc.url).toBe('https://a.example/rpc');
    expect(read.card.supportedInterfaces).toEqual([read.rpc]);
    expect(read.skillIds).toEqual(['summarize', 'translate']);
  });

  it('reads a 0.3 card through the SDK compatibility layer', () => {
    const read = parseAgentCard(v03Card);
    expect(read.rpc).toMatchObject({
      url: 'https://old.example/rpc',
      protocolBinding: 'JSONRPC',
      protocolVersion: '0.3.0',
    });
    expect(read.skillIds).toEqual(['summarize']);
  });

  it.each([
    ['a list', [], /not a JSON object/],
    ['a string', 'card', /not a JSON object/],
    [
      'without JSON-RPC',
      v1Card([{ url: 'https://a.example/rest', protocolBinding: 'HTTP+JSON' }]),
      /no JSON-RPC interface/,
    ],
    [
      'with a JSON-RPC url that is not a URL',
      v1Card([{ url: 'not a url', protocolBinding: 'JSONRPC' }]),
      /not a URL/,
    ],
    ['without supportedInterfaces', { name: 'x', skills: [] }, /no supportedInterfaces/],
    [
      'a 0.3 card missing its lists',
      { url: 'https://a.example', protocolVersion: '0.3.0', capabilities: {} },
      /not an A2A agent card/,
    ],
    [
      'with a skill without id',
      {
        ...v1Card([{ url: 'https://a.example/rpc', protocolBinding: 'JSONRPC' }]),
        skills: [{ name: 'x' }],
      },
      /skill without an id/,
    ],
  ])('refuses a card that is %s', (_what, raw, message) => {
    expect(refusal(raw)).toMatch(message);
  });
});

describe('capabilitiesFromSkills', () => {
  it('takes the skill ids once each', () => {
    expect(capabilitiesFromSkills(['a', 'b', 'a'])).toEqual(['a', 'b']);
  });

  it.each([
    [[], /no skills/],
    [['good', 'bad id'], /"bad id"/],
    [['x'.repeat(101)], /not a capability/],
    [Array.from({ length: 101 }, (_, i) => `s${i}`), /more than 100 skills/],
  ])('refuses %j', (ids, message) => {
    expect(() => capabilitiesFromSkills(ids)).toThrow(message);
  });
});
