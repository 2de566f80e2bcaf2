/**
 * A throw-away PKI for the test API server, made with Debian's `openssl` (Node's crypto cannot issue
 * X.509 certificates): a CA, a serving certificate for 127.0.0.1/localhost, an admin client
 * certificate in group system:masters (what envtest provisions), and the service-account key pair.
 * EC P-256 keys keep generation in the milliseconds.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Paths of the generated PEM files. */
export interface ControlPlaneCerts {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  readonly adminCert: string;
  readonly adminKey: string;
  readonly saPublicKey: string;
  readonly saPrivateKey: string;
}

/** Generates all certificates and keys into `dir` (which should be private to this run). */
export async function generateControlPlaneCerts(dir: string): Promise<ControlPlaneCerts> {
  const f = (name: string): string => join(dir, name);
  const certs: ControlPlaneCerts = {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    servingCert: f('apiserver.crt'),
    servingKey: f('apiserver.key'),
    adminCert: f('admin.crt'),
    adminKey: f('admin.key'),
    saPublicKey: f('sa.pub'),
    saPrivateKey: f('sa.key'),
  };
  await issue(dir, {
    name: 'ca',
    subject: '/CN=kluctl-serverless-test-ca',
    extensions: CA_EXTENSIONS,
    certFile: certs.caCert,
    keyFile: certs.caKey,
  });
  const signer = { caCert: certs.caCert, caKey: certs.caKey };
  await Promise.all([
    issue(dir, {
      name: 'apiserver',
      subject: '/CN=kube-apiserver',
      extensions: SERVING_EXTENSIONS,
      certFile: certs.servingCert,
      keyFile: certs.servingKey,
      signer,
    }),
    issue(dir, {
      name: 'admin',
      subject: '/O=system:masters/CN=admin',
      extensions: CLIENT_EXTENSIONS,
      certFile: certs.adminCert,
      keyFile: certs.adminKey,
      signer,
    }),
    writeServiceAccountKeys(certs.saPublicKey, certs.saPrivateKey),
  ]);
  return certs;
}

/**
 * A self-signed serving certificate for 127.0.0.1/localhost with its key, both in one PEM file (the
 * form LocalStack's CUSTOM_SSL_CERT_PATH takes). Returns the file's path.
 */
export async function writeSelfSignedPem(dir: string, name: string): Promise<string> {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await issue(dir, { name, subject: '/CN=localhost', extensions: SERVING_EXTENSIONS, certFile, keyFile });
  const pemFile = join(dir, `${name}.pem`);
  const [key, cert] = await Promise.all([readFile(keyFile, 'utf8'), readFile(certFile, 'utf8')]);
  await writeFile(pemFile, key + cert, { mode: 0o600 });
  return pemFile;
}

const CA_EXTENSIONS = [
  'basicConstraints = critical,CA:TRUE',
  'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
  'subjectKeyIdentifier = hash',
];
const SERVING_EXTENSIONS = [
  'basicConstraints = critical,CA:FALSE',
  'keyUsage = critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = IP:127.0.0.1,DNS:localhost',
  'authorityKeyIdentifier = keyid',
];
const CLIENT_EXTENSIONS = [
  'basicConstraints = critical,CA:FALSE',
  'keyUsage = critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage = clientAuth',
  'authorityKeyIdentifier = keyid',
];

/** One certificate to issue. */
interface CertSpec {
  readonly name: string;
  /** openssl's `/K=V/...` form. */
  readonly subject: string;
  readonly extensions: readonly string[];
  readonly certFile: string;
  readonly keyFile: string;
  /** Absent for the self-signed CA. */
  readonly signer?: { readonly caCert: string; readonly caKey: string };
}

/**
 * One `openssl req -x509` call: a new key and a certificate, self-signed or signed by `signer`.
 * A minimal config file replaces the system one so no default extensions (CA:TRUE) slip into leaves.
 */
async function issue(dir: string, spec: CertSpec): Promise<void> {
  const { name, subject, extensions, certFile, keyFile, signer } = spec;
  const config = join(dir, `${name}.cnf`);
  const text = ['[req]', 'distinguished_name = dn', 'x509_extensions = ext', '[dn]', '[ext]', ...extensions];
  await writeFile(config, text.join('\n') + '\n', { mode: 0o600 });
  const args = [
    'req',
    '-x509',
    '-config',
    config,
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
  ];
  args.push('-nodes', '-days', '3650', '-subj', subject, '-keyout', keyFile, '-out', certFile);
  if (signer) args.push('-CA', signer.caCert, '-CAkey', signer.caKey);
  try {
    await execFileAsync('openssl', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl could not issue the ${name} certificate: ${stderr.trim()}`, { cause: err });
  }
}

/** The key pair the API server signs and verifies service-account tokens with. */
async function writeServiceAccountKeys(publicFile: string, privateFile: string): Promise<void> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(publicFile, publicKey, { mode: 0o600 });
  await writeFile(privateFile, privateKey, { mode: 0o600 });
}

/**
 * Issues a client certificate for user `name` (optionally in `groups`), signed by the cluster's CA,
 * for RBAC tests. Returns the certificate and key paths in `dir`.
 */
export async function issueUserCert(
  dir: string,
  signer: { readonly caCert: string; readonly caKey: string },
  name: string,
  groups: readonly string[] = [],
): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `user-${name}.crt`);
  const keyFile = join(dir, `user-${name}.key`);
  const subject = `${groups.map((g) => `/O=${g}`).join('')}/CN=${name}`;
  await issue(dir, {
    name: `user-${name}`,
    subject,
    extensions: CLIENT_EXTENSIONS,
    certFile,
    keyFile,
    signer,
  });
  return { certFile, keyFile };
}
