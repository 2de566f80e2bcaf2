/**
 * The one error hierarchy of kluctl-serverless (STYLE.md rule 4). Every error carries a stable `code`,
 * an optional `cause`, and whether retrying the same operation can help. Adapters translate vendor
 * errors into these; callers branch on `code` or `instanceof`, never on message text.
 */

/** Stable error codes. */
export type ErrorCode =
  | 'InvalidInput'
  | 'ProjectLoad'
  | 'Template'
  | 'UnknownTarget'
  | 'ToolFailed'
  | 'GitSource'
  | 'OciSource'
  | 'KubeApi'
  | 'KubeConflict'
  | 'KubeNotFound'
  | 'StateConflict'
  | 'StateStore'
  | 'Queue'
  | 'Timeout'
  | 'Aborted';

/** Options common to every error. */
export interface KsErrorOptions {
  readonly cause?: unknown;
  /** Whether retrying the same operation may succeed (network, throttling, conflicts). */
  readonly retryable?: boolean;
}

/** Base class: never throw anything that is not a KsError (or a subclass) from lib/. */
export class KsError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: KsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** A file position for errors that point into the project. Lines and columns are 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/** Formats `file:line:column` (omitting unknown parts). */
export function formatPosition(pos: SourcePosition): string {
  let s = pos.file;
  if (pos.line !== undefined) s += `:${pos.line}`;
  if (pos.line !== undefined && pos.column !== undefined) s += `:${pos.column}`;
  return s;
}

/** The project could not be loaded: malformed YAML, unknown fields, missing files. */
export class ProjectLoadError extends KsError {
  readonly position: SourcePosition | undefined;
  constructor(message: string, position?: SourcePosition, options: KsErrorOptions = {}) {
    super('ProjectLoad', position ? `${formatPosition(position)}: ${message}` : message, options);
    this.position = position;
  }
}

/** A template failed to parse or render. The message names file, line and the construct. */
export class TemplateError extends KsError {
  readonly position: SourcePosition | undefined;
  constructor(message: string, position?: SourcePosition, options: KsErrorOptions = {}) {
    super('Template', position ? `${formatPosition(position)}: ${message}` : message, options);
    this.position = position;
  }
}

/** An external tool (kustomize, helm) exited with an error. */
export class ToolError extends KsError {
  constructor(message: string, options: KsErrorOptions = {}) {
    super('ToolFailed', message, options);
  }
}

/** Cloning or fetching the Git source failed. */
export class GitSourceError extends KsError {
  constructor(message: string, options: KsErrorOptions = {}) {
    super('GitSource', message, options);
  }
}

/** Pulling an OCI artifact failed (registry unreachable, unknown artifact, refused credentials). */
export class OciSourceError extends KsError {
  constructor(message: string, options?: KsErrorOptions) {
    super('OciSource', message, options);
  }
}

/** A Kubernetes API call failed. `status` is the HTTP status when there was one. */
export class KubeApiError extends KsError {
  readonly status: number | undefined;
  /** The API's `details.causes`, e.g. the conflicting fields of a 409 on server-side apply. */
  readonly causes: readonly {
    readonly field?: string;
    readonly message?: string;
    readonly reason?: string;
  }[];
  /** The API server's own message (Kluctl reports that text, without our request prefix). */
  readonly apiMessage: string | undefined;
  constructor(
    code: 'KubeApi' | 'KubeConflict' | 'KubeNotFound',
    message: string,
    opts: KsErrorOptions & { status?: number; causes?: KubeApiError['causes']; apiMessage?: string } = {},
  ) {
    super(code, message, opts);
    this.status = opts.status;
    this.causes = opts.causes ?? [];
    this.apiMessage = opts.apiMessage;
  }
}

/** The text of an error as Kluctl reports it in results: the API server's message when there is one. */
export function kubeErrorText(err: unknown): string {
  return err instanceof KubeApiError && err.apiMessage !== undefined ? err.apiMessage : errorMessage(err);
}

/** A conditional write lost against a concurrent writer (S3 412/409). Retry the read-modify-write. */
export class StateConflictError extends KsError {
  constructor(message: string, options: KsErrorOptions = {}) {
    super('StateConflict', message, { retryable: true, ...options });
  }
}

/** The state store could not be read or written for another reason. */
export class StateStoreError extends KsError {
  constructor(message: string, options: KsErrorOptions = {}) {
    super('StateStore', message, options);
  }
}

/**
 * Independent failures of one step that are reported together, as the deployment items that failed
 * to render. Kluctl counts them in its Ready message (`prepare failed with N errors.`); the message
 * lists every one (in the layout of Go's multierror, which Kluctl's `lastPrepareError` shows).
 */
export class MultiError extends KsError {
  readonly errors: readonly unknown[];
  constructor(errors: readonly unknown[]) {
    const first = errors.find((e): e is KsError => e instanceof KsError);
    super(first?.code ?? 'ProjectLoad', errorListText(errors), { cause: errors[0] });
    this.errors = errors;
  }
}

const ONE_OF_A_LIST = Symbol('kluctl-serverless.oneOfAList');

/**
 * Marks `err` as the only failure of a step that could have reported several (it keeps its class and
 * message; {@link errorListSize} then says 1, as Kluctl's list of one error does).
 */
export function markOneOfAList<T>(err: T): T {
  if (typeof err === 'object' && err !== null) (err as Record<symbol, unknown>)[ONE_OF_A_LIST] = true;
  return err;
}

/** How many errors `err` (or its cause) reports as a list; undefined for a plain error. */
export function errorListSize(err: unknown): number | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof MultiError) return e.errors.length;
    if ((e as unknown as Record<symbol, unknown>)[ONE_OF_A_LIST]) return 1;
  }
  return undefined;
}

/** A list of errors in the layout of Go's multierror: `N errors occurred:` and one `* ` line each. */
export function errorListText(errors: readonly unknown[]): string {
  const n = errors.length;
  const list = errors.map((e) => `\t* ${errorMessage(e)}`).join('\n');
  return `${n} error${n === 1 ? '' : 's'} occurred:\n${list}\n\n`;
}

/** Renders any thrown value as a one-line message without stack (for status and logs). */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** SOPS decryption failed (no matching key, corrupt file, sops not runnable). */
export class SopsError extends KsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ProjectLoad', message, options);
  }
}
