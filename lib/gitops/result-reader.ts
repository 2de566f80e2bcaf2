/**
 * Reads results back from Kluctl's result store on a cluster (Secrets in `kluctl-results`, the format of
 * lib/results/kluctl-result-format.ts), as Kluctl's CLI does to print what a request did: by id (the
 * `resultId` of a request record), listed by the summaries in the annotations, and the deletion of a
 * diff result once printed. Works for results written by our reconciler and by Kluctl's controller.
 */
import type { CommandResultSummary, DeploymentError, KluctlObjectRef, ValidateResult } from '../api/types.js';
import type { CommandResult, ResultObject } from '../deploy/command-result.js';
import { KsError } from '../errors.js';
import type { KubeClient, KubeObject, ObjectRef } from '../ports.js';
import {
  decodeResultData,
  LABEL_COMMAND_RESULT_ID,
  LABEL_VALIDATE_RESULT_ID,
  RESULT_SECRETS,
  resultsOfDeployment,
  SUMMARY_ANNOTATION,
} from '../results/kluctl-result-format.js';
import { KLUCTL_RESULTS_NAMESPACE } from '../results/kluctl-result-store.js';

/** Kluctl's `ValidateResultSummary`: a validate result with counts instead of lists. */
export interface ValidateResultSummary extends Omit<
  ValidateResult,
  'warnings' | 'errors' | 'results' | 'overridesPatch'
> {
  readonly warnings: number;
  readonly errors: number;
  readonly results: number;
}

/** The deployment whose results to list. */
export interface DeploymentKey {
  readonly name: string;
  readonly namespace: string;
  readonly clusterId: string;
}

/** Reads Kluctl's result store through `kube`; `namespace` is `--command-result-namespace`. */
export class KluctlResultReader {
  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string = KLUCTL_RESULTS_NAMESPACE,
  ) {}

  /** The command result with `id` (objects reduced to their metadata, changes kept). */
  async getCommandResult(id: string): Promise<CommandResult> {
    const secret = await this.secretOf(LABEL_COMMAND_RESULT_ID, id, 'command');
    return fromKluctlJson(decodeResultData(secret, 'reducedResult') as Record<string, unknown>);
  }

  /** The validate result with `id`. */
  async getValidateResult(id: string): Promise<ValidateResult> {
    const secret = await this.secretOf(LABEL_VALIDATE_RESULT_ID, id, 'validate');
    return decodeResultData(secret, 'result') as ValidateResult;
  }

  /** Deletes the command result with `id` (the CLI does so after printing a diff request's result). */
  async deleteCommandResult(id: string): Promise<void> {
    const secret = await this.secretOf(LABEL_COMMAND_RESULT_ID, id, 'command');
    await this.kube.delete({
      group: '',
      version: 'v1',
      kind: 'Secret',
      name: secret.metadata.name,
      namespace: this.namespace,
    });
  }

  /** The command result summaries of a deployment, newest first. */
  async listCommandSummaries(d: DeploymentKey): Promise<CommandResultSummary[]> {
    const all = await this.kube.list(RESULT_SECRETS, {
      namespace: this.namespace,
      labelSelector: LABEL_COMMAND_RESULT_ID,
    });
    return resultsOfDeployment(all, d)
      .flatMap((s) => summaryOf<CommandResultSummary>(s, 'command'))
      .sort((a, b) => newestFirst(a.commandInfo.startTime, b.commandInfo.startTime, a.id, b.id));
  }

  /** The validate result summaries of a deployment, newest first. */
  async listValidateSummaries(d: DeploymentKey): Promise<ValidateResultSummary[]> {
    const all = await this.kube.list(RESULT_SECRETS, {
      namespace: this.namespace,
      labelSelector: LABEL_VALIDATE_RESULT_ID,
    });
    return resultsOfDeployment(all, d)
      .flatMap((s) => summaryOf<ValidateResultSummary>(s, 'validate'))
      .sort((a, b) => newestFirst(a.startTime, b.startTime, a.id, b.id));
  }

  private async secretOf(label: string, id: string, what: string): Promise<KubeObject> {
    const [secret] = await this.kube.list(RESULT_SECRETS, {
      namespace: this.namespace,
      labelSelector: `${label}=${id}`,
    });
    if (!secret) {
      throw new KsError(
        'KubeNotFound',
        `${what} result ${id} not found in namespace ${this.namespace} (results are kept for the newest runs only; see list-results)`,
      );
    }
    return secret;
  }
}

function summaryOf<T>(s: KubeObject, kind: keyof typeof SUMMARY_ANNOTATION): T[] {
  const text = s.metadata.annotations?.[SUMMARY_ANNOTATION[kind]];
  if (!text) return [];
  try {
    return [JSON.parse(text) as T];
  } catch {
    return [];
  }
}

function newestFirst(at: string | undefined, bt: string | undefined, aid: string, bid: string): number {
  const d = (Date.parse(bt ?? '') || 0) - (Date.parse(at ?? '') || 0);
  return d !== 0 ? d : aid < bid ? -1 : aid > bid ? 1 : 0;
}

/** Our CommandResult from Kluctl's serialised form (refs without empty group/version, lists omitted). */
export function fromKluctlJson(j: Record<string, unknown>): CommandResult {
  const objects = ((j.objects as Record<string, unknown>[] | undefined) ?? []).map(
    (o) => ({ ...o, ref: fromKluctlRef(o.ref as KluctlObjectRef) }) as ResultObject,
  );
  return {
    ...(j as unknown as CommandResult),
    objects,
    errors: (j.errors as DeploymentError[] | null | undefined) ?? [],
    warnings: (j.warnings as DeploymentError[] | null | undefined) ?? [],
  };
}

function fromKluctlRef(r: KluctlObjectRef): ObjectRef {
  return {
    group: r.group ?? '',
    version: r.version ?? '',
    kind: r.kind,
    name: r.name,
    ...(r.namespace ? { namespace: r.namespace } : {}),
  };
}
