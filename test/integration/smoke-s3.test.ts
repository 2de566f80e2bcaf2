// Smoke test of the test environment's S3: conditional writes behave like AWS (If-None-Match: * and
// If-Match answer 412 Precondition Failed), which the state store's optimistic locking depends on.
import { CreateBucketCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { testEnv } from '../support/test-env.js';

function s3Client(): S3Client {
  const { endpoint, region, accessKeyId, secretAccessKey } = testEnv().s3;
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
}

/** The HTTP status of a rejected S3 call (fails the test if the call succeeded). */
async function statusOf(call: Promise<unknown>): Promise<number | undefined> {
  try {
    await call;
  } catch (err) {
    if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode;
    throw err;
  }
  throw new Error('expected the S3 call to be rejected, but it succeeded');
}

describe('test S3', () => {
  const s3 = s3Client();
  const bucket = `smoke-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  afterAll(() => s3.destroy());

  it('rejects a second create-only write (If-None-Match: *) with 412', async () => {
    const put = (body: string) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'create-only', Body: body, IfNoneMatch: '*' }));
    const first = await put('one');
    expect(first.ETag).toMatch(/^".+"$/);
    expect(await statusOf(put('two'))).toBe(412);
  });

  it('accepts If-Match with the current ETag only', async () => {
    const created = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'guarded', Body: 'v1' }));
    const put = (body: string, etag: string) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'guarded', Body: body, IfMatch: etag }));
    expect(await statusOf(put('v2', '"0123456789abcdef0123456789abcdef"'))).toBe(412);
    const updated = await put('v2', created.ETag!);
    expect(updated.ETag).toBeDefined();
    expect(updated.ETag).not.toBe(created.ETag);
  });
});
