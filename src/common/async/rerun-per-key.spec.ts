import { RerunPerKey } from './rerun-per-key';

describe('RerunPerKey', () => {
  it('runs a key once at a time, once more for the calls made meanwhile', async () => {
    const runs = new RerunPerKey(() => undefined);
    let calls = 0;
    let release!: () => void;
    const work = async () => {
      calls += 1;
      if (calls === 1) await new Promise<void>((resolve) => (release = resolve));
    };
    const first = runs.run('a', work, () => true);
    const second = runs.run('a', work, () => true);
    const third = runs.run('a', work, () => true);
    release();
    await Promise.all([first, second, third]);
    expect(calls).toBe(2);
  });

  it('runs different keys side by side, and again while the work says there is more', async () => {
    const runs = new RerunPerKey(() => undefined);
    const seen: string[] = [];
    let more = 2;
    await Promise.all([
      runs.run(
        'a',
        async () => (seen.push('a'), more-- > 0),
        () => true,
      ),
      runs.run(
        'b',
        async () => void seen.push('b'),
        () => true,
      ),
    ]);
    expect(seen.filter((key) => key === 'a')).toHaveLength(3);
    expect(seen.filter((key) => key === 'b')).toHaveLength(1);
  });

  it('stops running again when told to, and hands a failure on', async () => {
    const failures: string[] = [];
    const runs = new RerunPerKey((_error, key) => failures.push(key));
    let calls = 0;
    await runs.run(
      'a',
      async () => (calls += 1) > 0,
      () => false,
    );
    expect(calls).toBe(1);
    await runs.run(
      'b',
      () => Promise.reject(new Error('down')),
      () => true,
    );
    expect(failures).toEqual(['b']);
    await runs.settled();
  });
});
