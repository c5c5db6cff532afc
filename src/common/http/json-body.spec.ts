import { reservedKeyErrors } from './json-body';

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
