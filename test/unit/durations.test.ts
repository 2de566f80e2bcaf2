import { KsError } from '../../lib/errors.js';
import { formatDuration, parseDuration } from '../../lib/api/durations.js';

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['2h45m30s', 9_930_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1m30.5s', 90_500],
    ['1s500ms', 1500],
    ['1500us', 1.5],
    ['2000000ns', 2],
    ['10m10m', 1_200_000], // Go sums repeated units
  ])('%s is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBeCloseTo(ms, 9);
  });

  it.each([
    '',
    'tenminutes',
    '10',
    '5',
    'm',
    '1d',
    '10 m',
    ' 10m',
    '10m ',
    '-5m',
    '+5m',
    '1h-30m',
    '10mfoo',
    '.s',
  ])('rejects %j with an InvalidInput error that names the value', (input) => {
    expect(() => parseDuration(input)).toThrow(KsError);
    try {
      parseDuration(input);
    } catch (err) {
      expect((err as KsError).code).toBe('InvalidInput');
      expect((err as KsError).message).toContain(JSON.stringify(input));
    }
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [600_000, '10m0s'],
    [5_400_000, '1h30m0s'],
    [3_600_000, '1h0m0s'],
    [4_100, '4.1s'],
  ])('%d ms prints as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(['1h30m0s', '10m0s', '4.1s', '500ms'])('round-trips %s', (text) => {
    expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
