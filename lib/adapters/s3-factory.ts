/** Builds an S3StateStore from plain settings, so composition roots need not import the AWS SDK. */
import { S3Client } from '@aws-sdk/client-s3';
import { S3StateStore } from './s3-state-store.js';

/** Settings of {@link createS3StateStore}. */
export interface S3StoreSettings {
  readonly bucket: string;
  /** Custom endpoint (LocalStack, MinIO); implies path-style addressing. Default: AWS. */
  readonly endpoint?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Key prefix inside the bucket. Default: none. */
  readonly prefix?: string;
  /** Static credentials; default: the SDK's provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** An S3-backed state store. */
export function createS3StateStore(s: S3StoreSettings): S3StateStore {
  const client = new S3Client({
    region: s.region ?? 'us-east-1',
    ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}),
    ...(s.credentials ? { credentials: { ...s.credentials } } : {}),
  });
  return new S3StateStore({ client, bucket: s.bucket, ...(s.prefix ? { prefix: s.prefix } : {}) });
}
