import * as agent from './agent';
import type * as protocol from './protocol';

/** Each of A and B can stand for the other: a compile error here when they drift apart. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <A, B>(verdict: Same<A, B>) => verdict;

describe('sdk/protocol.ts (types generated from the OpenAPI webhooks)', () => {
  it('names the events sdk/agent.ts knows', () => {
    expect(same<protocol.AgentEventType, agent.DispatchEventType>(true)).toBe(true);
  });

  it('describes the reply resultReply writes', () => {
    const reply: protocol.AgentResultReply = JSON.parse(agent.resultReply({ words: 6 }).body);
    expect(reply).toEqual({ result: { words: 6 } });
    const error: protocol.AgentErrorReply = JSON.parse(
      agent.errorReply('no text', { retryable: false }).body,
    );
    expect(error.detail).toBe('no text');
  });
});
