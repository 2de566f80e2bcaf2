/**
 * Differences from Kluctl that we keep on purpose. Each has its reason here and a row in
 * docs/parity.md; the parity report leaves them out, and a test checks that the page lists each one.
 */
import type { Difference } from './compare.js';

/** One deliberate difference. */
export interface DeliberateDifference {
  /** Short name, as written in docs/parity.md. */
  readonly aspect: string;
  readonly reason: string;
  /** Render modes it applies to. */
  readonly modes: readonly ('offline' | 'cluster')[];
  readonly matches: (d: Difference) => boolean;
}

/** The deliberate differences. */
export const DELIBERATE: readonly DeliberateDifference[] = [];

/** Whether a difference found in `mode` is a deliberate one. */
export function isDeliberate(d: Difference, mode: 'offline' | 'cluster'): boolean {
  return DELIBERATE.some((x) => x.modes.includes(mode) && x.matches(d));
}
