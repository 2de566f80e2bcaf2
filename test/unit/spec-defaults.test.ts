// Defaults of the KluctlDeployment spec (kluctl-semantics §9.3, §9.6; Kluctl's calcTimeout and
// GetRetryInterval).
import {
  MIN_TIMEOUT_MS,
  deployInterval,
  deployMode,
  effectiveTimeout,
  intervalMs,
  retryInterval,
  validateEnabled,
  validateInterval,
} from '../../lib/api/spec-defaults.js';
import type { KluctlDeploymentSpec } from '../../lib/api/types.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

type Sched = Pick<
  KluctlDeploymentSpec,
  'interval' | 'retryInterval' | 'deployInterval' | 'validateInterval' | 'timeout'
>;

describe('effectiveTimeout', () => {
  it.each<[string, Sched, number]>([
    ['explicit timeout wins', { interval: '10m', deployInterval: '1h', timeout: '2m' }, 2 * M],
    ['deployInterval when no timeout', { interval: '10m', deployInterval: '1h' }, H],
    ['interval when neither', { interval: '10m' }, 10 * M],
    ['floor of 30s on the interval', { interval: '5s' }, 30 * S],
    ['floor of 30s on an explicit timeout too', { interval: '10m', timeout: '10s' }, 30 * S],
    ['exactly 30s stays', { interval: '30s' }, 30 * S],
    ['fractional units', { interval: '1.5h' }, 1.5 * H],
  ])('%s', (_name, spec, ms) => {
    expect(effectiveTimeout(spec)).toBe(ms);
  });

  it('floor is 30s', () => {
    expect(MIN_TIMEOUT_MS).toBe(30 * S);
  });
});

describe('interval helpers', () => {
  it.each<[string, Sched, number, number, number | undefined]>([
    // name, spec, retry, validate, deploy
    ['only interval', { interval: '10m' }, 10 * M, 10 * M, undefined],
    [
      'all set',
      { interval: '10m', retryInterval: '1m', validateInterval: '1h', deployInterval: '24h' },
      M,
      H,
      24 * H,
    ],
    ['sub-second', { interval: '500ms' }, 500, 500, undefined],
  ])('%s', (_name, spec, retry, validate, deploy) => {
    expect(intervalMs(spec)).toBeGreaterThan(0);
    expect(retryInterval(spec)).toBe(retry);
    expect(validateInterval(spec)).toBe(validate);
    expect(deployInterval(spec)).toBe(deploy);
  });

  it('throws on a bad duration, naming it', () => {
    expect(() => intervalMs({ interval: 'tenminutes' })).toThrow(/"tenminutes"/);
    expect(() => validateInterval({ interval: '1m', validateInterval: '10mfoo' })).toThrow(/"10mfoo"/);
  });
});

describe('defaults of flags', () => {
  it.each<[Partial<KluctlDeploymentSpec>, boolean, string]>([
    [{}, true, 'full-deploy'],
    [{ validate: false, deployMode: 'poke-images' }, false, 'poke-images'],
    [{ validate: true, deployMode: 'full-deploy' }, true, 'full-deploy'],
  ])('%j → validate %s, deployMode %s', (spec, validate, mode) => {
    expect(validateEnabled(spec)).toBe(validate);
    expect(deployMode(spec)).toBe(mode);
  });
});
