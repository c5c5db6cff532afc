import { jsonDepth } from './json';

describe('jsonDepth', () => {
  it('counts scalars as depth 0 and each object or array level as one', () => {
    expect(jsonDepth('text')).toBe(0);
    expect(jsonDepth(null)).toBe(0);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: [1, { b: 2 }] })).toBe(3);
  });

  it('measures the deepest branch, not the first', () => {
    expect(jsonDepth({ shallow: 1, deep: { deeper: { deepest: [] } } })).toBe(4);
  });

  it('measures nesting far beyond what recursion could walk', () => {
    let value: unknown = {};
    for (let i = 0; i < 100_000; i += 1) value = { a: value };
    expect(jsonDepth(value)).toBe(100_001);
  });
});
