/**
 * Child processes of the development environment (etcd, kube-apiserver, LocalStack). Every child runs in its
 * own process group and is tracked here, so `stopAll()` can end it together with anything it spawned.
 * Signal and exit handlers, plus a small watchdog per child, make sure nothing outlives the test run,
 * even on Ctrl-C or when the jest process dies without running its teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** How to start one tracked process. */
export interface StartProcessOptions {
  /** Short name; the log file is `<logsDir>/<name>.log`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Complete environment of the child; default: the parent's environment. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly logsDir: string;
}

/** A running (or exited) child process. */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
  /** Whether the child has exited. */
  hasExited(): boolean;
  /** Stops the child's process group: SIGTERM, then SIGKILL after the grace period. */
  stop(): Promise<void>;
}

/** Time a process group gets between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5000;

const tracked = new Set<ManagedProcess>();
let handlersInstalled = false;

/** Starts a tracked child in its own process group, stdout and stderr appended to its log file. */
export function startProcess(opts: StartProcessOptions): ManagedProcess {
  installExitHandlers();
  const logFile = join(opts.logsDir, `${opts.name}.log`);
  // The child writes to the file descriptor directly, so its output survives a parent that hangs.
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, [...opts.args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${opts.name} (${opts.command})`);
  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (err) => {
      exitedFlag = true;
      resolve(`spawn error: ${err.message}`);
    });
  });
  const proc: ManagedProcess = {
    name: opts.name,
    pid,
    logFile,
    exited,
    hasExited: () => exitedFlag,
    stop: () => stopGroup(proc),
  };
  tracked.add(proc);
  void exited.then(() => tracked.delete(proc));
  startWatchdog(pid);
  return proc;
}

/** Stops every tracked process group, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...tracked].map((p) => p.stop()));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** The last `lines` lines of a text file ('' when it cannot be read). */
export function tailFile(file: string, lines = 40): string {
  try {
    const all = readFileSync(file, 'utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function stopGroup(proc: ManagedProcess): Promise<void> {
  if (proc.hasExited()) return;
  killGroup(proc.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
  // The timer is cleared so a quick exit leaves nothing that keeps jest's process alive.
  await Promise.race([proc.exited, grace]).finally(() => clearTimeout(timer));
  // The leader may exit before its children, so the group is killed in any case.
  killGroup(proc.pid, 'SIGKILL');
  await proc.exited;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' allows only synchronous work: SIGKILL is the one way left to be sure.
  process.on('exit', () => {
    for (const p of tracked) killGroup(p.pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }
}

/**
 * A detached shell that kills the child's group once this process is gone, for the case where
 * neither teardown nor the exit handler ran (SIGKILL, OOM). It ends by itself when the group ends.
 */
function startWatchdog(pgid: number): void {
  const script =
    // dash's kill takes a negative pid as a process group, but not after `--` or `-s`.
    'while kill -0 "$1" 2>/dev/null && kill -0 "-$2" 2>/dev/null; do sleep 2; done; ' +
    'kill -TERM "-$2" 2>/dev/null && sleep 3 && kill -KILL "-$2" 2>/dev/null; exit 0';
  const dog = spawn('/bin/sh', ['-c', script, 'ks-test-watchdog', String(process.pid), String(pgid)], {
    stdio: 'ignore',
    detached: true,
  });
  dog.unref();
}
