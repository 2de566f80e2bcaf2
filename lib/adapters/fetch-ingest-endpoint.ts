/** {@link IngestEndpoint} over Node's fetch: one POST per push, cut off after a timeout. */
import type { IngestEndpoint } from '../ports.js';

/** POSTs shim pushes to one URL. */
export class FetchIngestEndpoint implements IngestEndpoint {
  /**
   * @param url The ingest URL (the HTTP API route of the ingest function, or a local runner's).
   * @param timeoutMs How long one POST may take before it counts as failed; default 10 s.
   */
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async post(body: string, headers: Readonly<Record<string, string>>): Promise<number> {
    const res = await fetch(this.url, {
      method: 'POST',
      body,
      headers: { ...headers, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Drain the answer so the connection can be reused; its text is not needed.
    await res.arrayBuffer().catch(() => undefined);
    return res.status;
  }
}
