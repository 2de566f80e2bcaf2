/**
 * HTTPS probes of the cluster's components as its admin (client certificate of group
 * system:masters): cheaper than a kubectl process per poll while waiting for readiness.
 */
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';

/** The admin's TLS material, as PEM text. */
export interface AdminTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** Paths of the PEM files of {@link AdminTls}. */
export interface AdminTlsFiles {
  readonly caCert: string;
  readonly adminCert: string;
  readonly adminKey: string;
}

/** Reads the CA, the admin client certificate and its key. */
export async function readAdminTls(files: AdminTlsFiles): Promise<AdminTls> {
  const [ca, cert, key] = await Promise.all([
    readFile(files.caCert, 'utf8'),
    readFile(files.adminCert, 'utf8'),
    readFile(files.adminKey, 'utf8'),
  ]);
  return { ca, cert, key };
}

/**
 * Whether `url` answers 200 within 2 s; rejects when the connection fails. `rejectUnauthorized: false`
 * accepts a component's self-signed serving certificate (kube-scheduler's).
 */
export function httpsOk(url: string, tls: AdminTls & { rejectUnauthorized?: boolean }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ...tls, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
    req.end();
  });
}
