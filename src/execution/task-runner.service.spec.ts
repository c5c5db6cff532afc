import { unroutedMessage } from './task-runner.service';

describe('unroutedMessage', () => {
  const routed = {
    taskId: 't',
    ownerId: 'o',
    taskType: 'summarize',
    requestedAgentId: null,
    timeoutMs: null,
  };
  const named = { ...routed, requestedAgentId: '6f1c2f9e-2a43-4d0e-9d0b-3f3b1c1a2b3c' };

  it('names the capability when the task is routed by type', () => {
    expect(unroutedMessage(routed, 'none')).toBe('no active agent with capability "summarize"');
    expect(unroutedMessage(routed, 'busy')).toContain('stayed busy');
  });

  it('names the agent when the task asked for one', () => {
    expect(unroutedMessage(named, 'none')).toBe(
      'agent 6f1c2f9e-2a43-4d0e-9d0b-3f3b1c1a2b3c is not one of your active agents',
    );
    expect(unroutedMessage(named, 'busy')).toContain('all its slots taken');
  });
});
