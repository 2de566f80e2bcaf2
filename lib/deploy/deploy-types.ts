/**
 * What the deploy engine (deploy-project.ts) takes and gives: the rendered items, the options of a run
 * and its outcome. A leaf module, so the engine's steps (apply/, hooks/, run-item.ts) and the state they
 * share (deploy-context.ts) can name these types without importing the engine.
 */
import type { Clock, KubeObject, ObjectRef, Progress } from '../ports.js';
import type { Inclusion } from '../project/inclusion.js';
import type { ResultObject } from './command-result.js';

/** One deployment item as the deploy engine needs it (RenderedItem satisfies this). */
export interface DeployItem {
  readonly dir: string;
  readonly barrier: boolean;
  readonly onlyRender?: boolean;
  /** Wait for all objects of the item after applying them. */
  readonly waitReadiness?: boolean;
  /** Further (possibly foreign) objects to wait for after the item ran. */
  readonly waitReadinessObjects?: readonly {
    group?: string;
    kind?: string;
    name: string;
    namespace?: string;
  }[];
  /** Objects deleted when the item runs, before its hooks (all resource types matching group/kind). */
  readonly deleteObjects?: DeployItem['waitReadinessObjects'];
  /** The project's `conflictResolution` entries (parents first), validated when applying. */
  readonly conflictResolution?: readonly unknown[];
  readonly objects: readonly KubeObject[];
}

/** What to deploy (RenderedProject satisfies this). */
export interface DeployInput {
  readonly discriminator: string;
  readonly items: readonly DeployItem[];
}

/** Options of `deployProject` (deploy-project.ts). */
export interface DeployOptions {
  readonly dryRun?: boolean;
  /** Delete orphans after applying. */
  readonly prune?: boolean;
  /** Stop starting new objects after the first error. */
  readonly abortOnError?: boolean;
  /** Items applied in parallel between barriers (default 8, Kluctl's bound). */
  readonly itemConcurrency?: number;
  readonly progress?: Progress;
  /** Skip waiting for readiness (`--no-wait`). */
  readonly noWait?: boolean;
  /** Per-object readiness timeout; default 5m (Kluctl's `--readiness-timeout`). */
  readonly readinessTimeoutMs?: number;
  /** Clock of the readiness waits; default the system clock. */
  readonly clock?: Clock;
  /**
   * Inclusion rules of the run (`-I`, `-E`, deployment dirs): orphans are only sought among live
   * objects they include, and `kluctl.io/skip-delete-if-tags` objects are spared while tag rules apply.
   */
  readonly inclusion?: Inclusion;
  /** Force-apply every conflicting field (`--force-apply`). */
  readonly forceApply?: boolean;
  /** Replace (PUT) objects whose apply failed (`--replace-on-error`). */
  readonly replaceOnError?: boolean;
  /** Also delete and re-create objects whose replace failed (`--force-replace-on-error`). */
  readonly forceReplaceOnError?: boolean;
  /**
   * Cancels the run (a reconcile's deadline): nothing new is applied or pruned, readiness waits end
   * with Kluctl's "context cancelled" error, and the signal's reason becomes an error of the outcome.
   */
  readonly signal?: AbortSignal;
  /**
   * Kluctl's drift detection shortcut (its `SkipResourceVersions`): resourceVersions by refKey of
   * objects known to match their rendered form. A live object still at that version is taken as
   * applied without sending anything; every other object is applied as usual.
   */
  readonly skipResourceVersions?: ReadonlyMap<string, string>;
}

/** Objects, errors and warnings of one deploy. */
export interface DeployOutcome {
  readonly objects: ResultObject[];
  readonly errors: { ref: ObjectRef; message: string }[];
  readonly warnings: { ref: ObjectRef; message: string }[];
}
