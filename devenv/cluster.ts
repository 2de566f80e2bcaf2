/**
 * A small real cluster: the control plane (devenv/control-plane.ts) and, unless left out, the
 * controllers and fake Node that make workloads become ready (devenv/controllers.ts), started in that
 * order and stopped together. The test run starts one per run; the demo and benchmarks start the
 * control plane alone.
 */
import { startControlPlane, type ControlPlane } from './control-plane.js';
import { startControllers } from './controllers.js';

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Data, certificates and kubeconfig go here. */
  readonly workDir: string;
  /** Every component's log file goes here. */
  readonly logsDir: string;
  /** Start kube-controller-manager, kube-scheduler and kwok too. */
  readonly controllers: boolean;
  /** The API server's audit log (control-plane.ts); default none. */
  readonly auditLogPath?: string;
}

/** A running cluster. */
export interface Cluster {
  readonly controlPlane: ControlPlane;
  /** Milliseconds from the call until everything was ready. */
  readonly startupMs: number;
  /** Milliseconds the controllers and fake Node took after the API server; undefined without controllers. */
  readonly controllersStartupMs: number | undefined;
  stop(): Promise<void>;
}

/** Starts the API server, then its controllers; stops what started when a later step fails. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const started = Date.now();
  const cp = await startControlPlane({
    workDir: opts.workDir,
    logsDir: opts.logsDir,
    withControllers: opts.controllers,
    ...(opts.auditLogPath ? { auditLogPath: opts.auditLogPath } : {}),
  });
  if (!opts.controllers) {
    return { controlPlane: cp, startupMs: cp.startupMs, controllersStartupMs: undefined, stop: cp.stop };
  }
  const ctl = await startControllers({
    kubeconfigPath: cp.kubeconfigPath,
    server: cp.server,
    caCertPath: cp.certs.caCert,
    adminCertPath: cp.certs.adminCert,
    adminKeyPath: cp.certs.adminKey,
    saPrivateKeyPath: cp.certs.saPrivateKey,
    logsDir: opts.logsDir,
  }).catch(async (err: unknown) => {
    await cp.stop();
    throw err;
  });
  const stop = async (): Promise<void> => {
    await ctl.stop();
    await cp.stop();
  };
  return { controlPlane: cp, startupMs: Date.now() - started, controllersStartupMs: ctl.startupMs, stop };
}
