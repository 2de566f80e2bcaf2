/**
 * client-go's event correlation (tools/record/events_cache.go), which Kluctl's controller gets from
 * controller-runtime's recorder with the default options, so that our events on a KluctlDeployment
 * are as many and look as Kluctl's do:
 * - aggregation: the 10th event within 10 minutes that differs from earlier ones of the same object,
 *   type and reason only by message becomes one event `(combined from similar events): <message>`,
 *   whose later repeats raise its count (Kluctl's end-of-reconcile message names the run's duration,
 *   so every reconcile's message differs);
 * - deduplication: an identical event raises the count of the first instead of creating another;
 * - spam filter: per object and event type a token bucket of 25 that refills one token every 5
 *   minutes; an event without a token is dropped (after its count was raised in memory).
 * Pure apart from the clock, so it is tested with a fake one.
 */
import type { Clock } from '../ports.js';

/** An event about to be recorded. */
export interface EventToCorrelate {
  /** Identifies the involved object (kind, namespace, name, uid, apiVersion). */
  readonly object: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
}

/** What to do with an event. */
export type Correlation =
  | { readonly action: 'skip' }
  | {
      readonly action: 'create' | 'patch';
      /** The event's name (of the earlier event for `patch`). */
      readonly name: string;
      readonly message: string;
      readonly count: number;
      /** Whether the event stands for several (annotations are not carried then, as in client-go). */
      readonly aggregated: boolean;
    };

const MAX_ENTRIES = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_REFILL_MS = 300_000;

interface Aggregate {
  messages: Set<string>;
  last: number;
}

/** The correlation state of one recorder. */
export class EventCorrelator {
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly observed = new Map<string, { name: string; count: number }>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly clock: Clock) {}

  /** Decides what `e` becomes; `newName` names an event that is created. */
  correlate(e: EventToCorrelate, newName: () => string): Correlation {
    const now = this.clock.now().getTime();
    // Aggregation by object, type and reason (the message is the local key).
    const aggKey = JSON.stringify([e.object, e.type, e.reason]);
    let agg = this.aggregates.get(aggKey);
    if (!agg || now - agg.last > AGGREGATE_INTERVAL_MS) agg = { messages: new Set(), last: now };
    agg.messages.add(e.message);
    agg.last = now;
    remember(this.aggregates, aggKey, agg);
    let key = JSON.stringify([e.object, e.type, e.reason, e.message]);
    let message = e.message;
    let aggregated = false;
    if (agg.messages.size >= AGGREGATE_MAX_EVENTS) {
      agg.messages.delete(agg.messages.values().next().value as string);
      key = aggKey;
      message = `(combined from similar events): ${e.message}`;
      aggregated = true;
    }
    // Deduplication: the count goes up in memory even when the spam filter drops the event.
    const seen = this.observed.get(key);
    const entry = seen ? { name: seen.name, count: seen.count + 1 } : { name: newName(), count: 1 };
    remember(this.observed, key, entry);
    if (!this.take(JSON.stringify([e.object, e.type]), now)) return { action: 'skip' };
    return { action: seen ? 'patch' : 'create', name: entry.name, message, count: entry.count, aggregated };
  }

  /** The event `name` is gone from the server (events expire): the next repeat creates it anew. */
  lost(name: string): void {
    for (const [k, v] of this.observed) if (v.name === name) this.observed.delete(k);
  }

  /** Takes a token of the spam filter's bucket for `key`. */
  private take(key: string, now: number): boolean {
    const b = this.buckets.get(key) ?? { tokens: SPAM_BURST, at: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + (now - b.at) / SPAM_REFILL_MS);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    remember(this.buckets, key, b);
    return ok;
  }
}

/** Sets `key` as the newest entry, dropping the oldest beyond the LRU size client-go uses. */
function remember<V>(m: Map<string, V>, key: string, v: V): void {
  m.delete(key);
  m.set(key, v);
  if (m.size > MAX_ENTRIES) m.delete(m.keys().next().value as string);
}
