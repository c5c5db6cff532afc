import { jsonDepth, reservedKeyErrors } from './json-body';

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

describe('reservedKeyErrors', () => {
  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'])(
    'names %s at the top level',
    (key) => {
      expect(reservedKeyErrors(JSON.parse(`{"name":"x","${key}":{"admin":true}}`))).toEqual([
        { field: key, message: `property ${key} is a reserved name and not allowed` },
      ]);
    },
  );

  it('finds them inside free-form objects and arrays, with their path', () => {
    const body = JSON.parse(
      '{"parameters":{"a":[{"__proto__":{"polluted":1}}]},"config":{"constructor":{"prototype":{}}}}',
    );
    expect(reservedKeyErrors(body).map((error) => error.field)).toEqual([
      'config.constructor',
      'config.constructor.prototype',
      'parameters.a.0.__proto__',
    ]);
  });

  it('lets ordinary keys, including ones that merely contain a reserved name, through', () => {
    expect(reservedKeyErrors({ proto: 1, myConstructor: 2, __proto: 3, tostring: [4] })).toEqual(
      [],
    );
    expect(reservedKeyErrors('text')).toEqual([]);
    expect(reservedKeyErrors(undefined)).toEqual([]);
  });
});
