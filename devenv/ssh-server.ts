/**
 * A real OpenSSH server for the SSH Git tests: Debian's sshd (unpacked by scripts/ensure-tools.sh)
 * on 127.0.0.1 and a free port, public-key authentication only, for the user running the tests, whose
 * shell then runs the real `git-upload-pack` on bare repositories under `root`. Each server has its own
 * host key and one client key; `knownHosts` is the line a `known_hosts` Secret key would hold.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, startProcess, tailFile } from './processes.js';
import { toolPath } from './tools.js';

/** A running sshd. */
export interface SshServer {
  readonly host: string;
  readonly port: number;
  /** The login user (the user running the tests). */
  readonly user: string;
  /** Folder holding the bare repositories; URLs point here. */
  readonly root: string;
  /** OpenSSH private key the server accepts. */
  readonly clientKey: string;
  /** The `known_hosts` line of this server (`[127.0.0.1]:<port> ssh-ed25519 ...`). */
  readonly knownHosts: string;
  /** `ssh://user@127.0.0.1:<port><root>/<name>.git`. */
  url(name: string): string;
  stop(): Promise<void>;
}

/** Options of {@link startSshServer}. */
export interface SshServerOptions {
  /** Folder of bare repositories; default: a fresh temp dir removed on stop. */
  readonly root?: string;
  /** Host key type; default `ed25519`. */
  readonly hostKeyType?: 'ed25519' | 'rsa' | 'ecdsa';
}

function keygen(file: string, type: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'ks-test', '-f', file]);
}

/** Starts sshd and waits until it accepts connections. */
export async function startSshServer(opts: SshServerOptions = {}): Promise<SshServer> {
  const sshd = toolPath('sshd');
  const dir = await mkdtemp(join(tmpdir(), 'ks-sshd-'));
  const root = opts.root ?? join(dir, 'repos');
  mkdirSync(root, { recursive: true });
  // sshd run by root separates privileges into this compiled-in, root-owned directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  keygen(join(dir, 'host_key'), opts.hostKeyType ?? 'ed25519');
  keygen(join(dir, 'client_key'), 'ed25519');
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')));
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'PermitRootLogin prohibit-password',
    // The temp dir is not owned the way StrictModes wants a home's .ssh to be.
    'StrictModes no',
    // Lets clients ask for Git protocol v2, as git's servers configure it.
    'AcceptEnv GIT_PROTOCOL',
    'LogLevel VERBOSE',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);
  const logsDir = dir;
  const proc = startProcess({
    name: 'sshd',
    command: sshd,
    args: ['-D', '-e', '-f', join(dir, 'sshd_config')],
    logsDir,
  });
  await waitForPort(port, proc.hasExited, () => tailFile(proc.logFile));
  const hostPub = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/);
  const user = userInfo().username;
  return {
    host: '127.0.0.1',
    port,
    user,
    root,
    clientKey: await readFile(join(dir, 'client_key'), 'utf8'),
    knownHosts: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`,
    url: (name) => `ssh://${user}@127.0.0.1:${port}${root}/${name}.git`,
    stop: async () => {
      await proc.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, exited: () => boolean, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (exited()) throw new Error(`sshd exited at start:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`sshd did not listen on port ${port} within 10s:\n${log()}`);
}
