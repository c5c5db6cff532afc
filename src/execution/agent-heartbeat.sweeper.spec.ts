import { AppConfig } from '../config/app-config';
import { AgentHeartbeatSweeper } from './agent-heartbeat.sweeper';
import { ExecutionRepository } from './execution.repository';

function sweeperFor(expire: jest.Mock) {
  const config = {
    agents: { heartbeatTtlS: 60, sweepIntervalMs: 1000, endpointAllowlist: [] },
  } as unknown as AppConfig;
  return new AgentHeartbeatSweeper(config, {
    expireHeartbeats: expire,
  } as unknown as ExecutionRepository);
}

describe('AgentHeartbeatSweeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sweeps every interval with the TTL', async () => {
    const expire = jest.fn().mockResolvedValue(0);
    const sweeper = sweeperFor(expire);
    sweeper.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(3000);
    expect(expire).toHaveBeenCalledTimes(3);
    expect(expire).toHaveBeenCalledWith(60);
    await sweeper.onModuleDestroy();
    await jest.advanceTimersByTimeAsync(3000);
    expect(expire).toHaveBeenCalledTimes(3);
  });

  it('does not stack a sweep on one still running, and waits for it at shutdown', async () => {
    let finish: (count: number) => void = () => undefined;
    const expire = jest.fn(() => new Promise<number>((resolve) => (finish = resolve)));
    const sweeper = sweeperFor(expire);
    sweeper.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(5000);
    expect(expire).toHaveBeenCalledTimes(1);

    let closed = false;
    const closing = sweeper.onModuleDestroy().then(() => (closed = true));
    await Promise.resolve();
    expect(closed).toBe(false);
    finish(2);
    await closing;
    expect(closed).toBe(true);
  });

  it('survives a failing sweep and tries again on the next tick', async () => {
    const expire = jest.fn().mockRejectedValueOnce(new Error('db down')).mockResolvedValue(1);
    const sweeper = sweeperFor(expire);
    const error = jest.spyOn(sweeper['logger'], 'error').mockImplementation(() => undefined);
    jest.spyOn(sweeper['logger'], 'log').mockImplementation(() => undefined);
    sweeper.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(2000);
    expect(expire).toHaveBeenCalledTimes(2);
    expect(error).toHaveBeenCalledTimes(1);
    await sweeper.onModuleDestroy();
  });
});
