/**
 * StateStore on S3 (DESIGN.md §4). Conditional writes use S3's `If-Match` / `If-None-Match: *` on
 * PutObject; a lost race (412 Precondition Failed, 409 ConditionalRequestConflict) becomes
 * StateConflictError so callers re-read and retry (lib/state/json-state.ts).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { StateConflictError, StateStoreError } from '../errors.js';
import type { StateStore, StoredBlob, WriteCondition } from '../ports.js';

/** Options of {@link S3StateStore}. */
export interface S3StateStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to every key (e.g. `kluctl/`); default none. Listed keys are returned without it. */
  readonly prefix?: string;
}

/** S3 error names that a later attempt may get past. */
const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'Throttling',
]);

/** Reconcile state and results in an S3 bucket. */
export class S3StateStore implements StateStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(opts: S3StateStoreOptions) {
    this.client = opts.client;
    this.bucket = opts.bucket;
    this.prefix = opts.prefix ?? '';
  }

  /** Reads a blob; undefined when the key does not exist. */
  async get(key: string): Promise<StoredBlob | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      if (!out.Body || !out.ETag)
        throw new StateStoreError(`S3 returned no body or ETag for ${this.describe(key)}`);
      return { body: await out.Body.transformToByteArray(), etag: out.ETag };
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.translate(err, 'read', key);
    }
  }

  /** Writes a blob, honouring `ifMatch`/`ifNoneMatch`; returns the new ETag. */
  async put(
    key: string,
    body: Uint8Array,
    cond: WriteCondition & { contentType?: string } = {},
  ): Promise<string> {
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: body,
          ContentType: cond.contentType ?? 'application/octet-stream',
          ...(cond.ifMatch !== undefined ? { IfMatch: cond.ifMatch } : {}),
          ...(cond.ifNoneMatch !== undefined ? { IfNoneMatch: cond.ifNoneMatch } : {}),
        }),
      );
      if (!out.ETag) throw new StateStoreError(`S3 returned no ETag for ${this.describe(key)}`);
      return out.ETag;
    } catch (err) {
      const status = statusOf(err);
      // 404 on If-Match: the object was deleted since it was read — the same lost race as a 412.
      if (status === 412 || status === 409 || (status === 404 && cond.ifMatch !== undefined)) {
        throw new StateConflictError(
          `conditional write of ${this.describe(key)} lost to a concurrent writer`,
          {
            cause: err,
          },
        );
      }
      throw this.translate(err, 'write', key);
    }
  }

  /** Deletes a key; resolves quietly when it does not exist. */
  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw this.translate(err, 'delete', key);
    }
  }

  /** All keys starting with `prefix`, in S3's (lexicographic) order, following continuation tokens. */
  async list(prefix: string): Promise<readonly string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
          }),
        );
        for (const obj of out.Contents ?? []) {
          if (obj.Key !== undefined) keys.push(obj.Key.slice(this.prefix.length));
        }
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.translate(err, 'list', prefix);
    }
    return keys;
  }

  private describe(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  private translate(err: unknown, op: string, key: string): StateStoreError {
    if (err instanceof StateStoreError) return err;
    const status = statusOf(err);
    const name = err instanceof Error ? err.name : 'Error';
    const retryable = status === undefined || status >= 500 || status === 429 || RETRYABLE_NAMES.has(name);
    const detail =
      status === undefined
        ? `${name}: ${err instanceof Error ? err.message : String(err)}`
        : `${name} (HTTP ${status})`;
    return new StateStoreError(`cannot ${op} ${this.describe(key)}: ${detail}`, { cause: err, retryable });
  }
}

/** The HTTP status of an SDK error, if the request got an answer. */
function statusOf(err: unknown): number | undefined {
  if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode;
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return meta?.httpStatusCode;
}
