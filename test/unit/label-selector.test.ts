/** Label selectors as a client-side cache reads them (lib/util/label-selector.ts). */
import { impliesLabel, matchesLabels, parseLabelSelector } from '../../lib/util/label-selector.js';

const labels = { 'kluctl.io/discriminator': 'd1', app: 'web' };

it.each([
  ['kluctl.io/discriminator=d1', true],
  ['kluctl.io/discriminator==d1', true],
  ['kluctl.io/discriminator=d2', false],
  ['kluctl.io/discriminator', true],
  ['!kluctl.io/discriminator', false],
  ['app!=web', false],
  ['app!=api', true],
  ['missing!=x', true],
  ['kluctl.io/discriminator=d1, app=web', true],
  ['kluctl.io/discriminator=d1,app=api', false],
  ['', true],
])('%s matches: %s', (selector, expected) => {
  expect(matchesLabels(parseLabelSelector(selector)!, labels)).toBe(expected);
});

it.each(['app in (web)', 'app notin (a,b)', 'a=b=c'])('%s is left to the API server', (selector) => {
  expect(parseLabelSelector(selector)).toBeUndefined();
});

it.each([
  ['kluctl.io/discriminator=d1', true],
  ['kluctl.io/discriminator', true],
  ['!kluctl.io/discriminator', false],
  ['kluctl.io/discriminator!=d1', false],
  ['app=web', false],
])('%s implies the label: %s', (selector, expected) => {
  expect(impliesLabel(parseLabelSelector(selector)!, 'kluctl.io/discriminator')).toBe(expected);
});
