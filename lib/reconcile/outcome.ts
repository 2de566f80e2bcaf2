/** What a reconcile run reports (lib/reconcile/reconcile.ts), shared with the steps that end a run early. */
import type { DeadlineCause, DeadlineStep } from './deadline.js';

/** The outcome, for logs, the runner's schedule and the function's response. */
export interface ReconcileOutcome {
  readonly outcome: 'succeeded' | 'failed' | 'suspended' | 'gone' | 'busy' | 'finalized';
  readonly message: string;
  readonly deployed: boolean;
  /** When the next reconcile is due (absent when the object is gone or another run holds it). */
  readonly nextRunAt?: Date;
  /** Set when the deadline cut the run short: the step it stopped and what set the deadline. */
  readonly stopped?: { readonly step: DeadlineStep; readonly by: DeadlineCause };
  /** Set when the run served a manual request: reconcile again at once (Kluctl requeues immediately). */
  readonly requeue?: boolean;
}
