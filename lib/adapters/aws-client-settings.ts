/** Where and as whom an AWS SDK client connects, as plain settings for composition roots. */

/** Endpoint, region and credentials of an AWS SDK client. */
export interface AwsClientSettings {
  /** Custom endpoint (LocalStack). Default: AWS. */
  readonly endpoint?: string;
  /** Default `us-east-1`. */
  readonly region?: string;
  /** Static credentials; default: the SDK's provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The client configuration for `s`. */
export function awsClientConfig(s: AwsClientSettings): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    region: s.region ?? 'us-east-1',
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.credentials ? { credentials: { ...s.credentials } } : {}),
  };
}
