import { isInstant } from './instant';

describe('isInstant', () => {
  it.each(['2026-12-01T09:30:00Z', '2026-12-01T10:30:00.250+01:00', '2028-02-29T00:00Z'])(
    'takes %s',
    (value) => expect(isInstant(value)).toBe(true),
  );

  it.each([
    '2026-12-01',
    '2026-12-01T09:30:00',
    '2026-02-30T00:00:00Z',
    '2027-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-12-01T25:00:00Z',
    'tomorrow',
    1764806800000,
  ])('refuses %s', (value) => expect(isInstant(value)).toBe(false));
});
