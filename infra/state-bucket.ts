/**
 * The state bucket (DESIGN.md §4): mirrors, reconcile state, results, clone caches and the repository
 * index, laid out by lib/state/layout.ts. Versioned so an overwritten state document can be recovered;
 * the clone cache and old results expire by lifecycle rule.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { RESULTS_PREFIX } from '../lib/state/layout.js';

/** Key prefix of the clone cache, as in lib/state/layout.ts. */
export const CLONE_CACHE_PREFIX = 'clone-cache/';

/** Props of {@link StateBucket}. */
export interface StateBucketProps {
  /** KMS key for SSE-KMS. @default S3-managed encryption */
  readonly encryptionKey?: IKey;
  /** Lifetime of clone-cache objects. */
  readonly cloneCacheExpiration: Duration;
  /** Lifetime of noncurrent object versions. */
  readonly noncurrentVersionExpiration: Duration;
  /** Lifetime of stored command results (a backstop behind the per-deployment retention). */
  readonly resultsExpiration: Duration;
}

/** The encrypted, versioned, private state bucket. */
export class StateBucket extends Construct {
  /** The bucket. */
  readonly bucket: Bucket;
  private readonly encryptionKey: IKey | undefined;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.bucket = new Bucket(this, 'Bucket', {
      ...(props.encryptionKey
        ? { encryption: BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : { encryption: BucketEncryption.S3_MANAGED }),
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // State outlives the stack: deleting the stack must not delete every deployment's history.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'expire-clone-cache', prefix: CLONE_CACHE_PREFIX, expiration: props.cloneCacheExpiration },
        { id: 'expire-results', prefix: RESULTS_PREFIX, expiration: props.resultsExpiration },
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: props.noncurrentVersionExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
  }

  /** Lets `grantee` read state objects (no listing, no writes): what the webhook function needs. */
  grantStateRead(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    if (this.encryptionKey) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.encryptionKey.keyArn] }),
      );
    }
  }

  /**
   * Lets `grantee` read and list the objects under `prefixes` (each ending in `*`, e.g. `results/*`)
   * and nothing else: what the web UI function needs.
   */
  grantPrefixRead(grantee: IGrantable, prefixes: readonly string[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: prefixes.map((p) => this.bucket.arnForObjects(p)),
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [...prefixes] } },
      }),
    );
    if (this.encryptionKey) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.encryptionKey.keyArn] }),
      );
    }
  }

  /**
   * Lets `grantee` read, write, delete and list state objects, with exactly the actions the S3 state
   * store uses (GetObject also covers HeadObject; ListBucket covers ListObjectsV2). Written out instead
   * of `bucket.grantReadWrite` because that grant uses action wildcards such as `s3:GetObject*`.
   */
  grantStateAccess(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    if (this.encryptionKey) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [this.encryptionKey.keyArn],
        }),
      );
    }
  }
}
