/**
 * Cuts a list of mirrors into ShimPush bodies that each fit the ingest endpoint's size limit
 * (MAX_PUSH_BYTES). Each object is serialised once; a body is the exact text `JSON.stringify` gives
 * for its ShimPush, so the receiver parses what was signed.
 */
import { MAX_PUSH_BYTES, type MirroredDeployment, type ShimPush } from '../serverless/protocol.js';

/** One push ready to sign: its body and the mirrors it carries. */
export interface PushBody {
  readonly kind: ShimPush['kind'];
  readonly body: string;
  readonly objects: readonly MirroredDeployment[];
}

/** The bodies, and the objects too large for any push on their own. */
export interface SplitResult {
  readonly pushes: readonly PushBody[];
  readonly tooLarge: readonly MirroredDeployment[];
}

/**
 * Packs `objects` greedily, in order, into as few pushes of `kind` as fit `maxBytes` each (counted
 * in UTF-8 bytes). An empty list gives one empty push (a resync of a cluster with no deployments
 * still tells the receiver to drop its mirrors).
 */
export function splitPushes(
  clusterId: string,
  kind: ShimPush['kind'],
  objects: readonly MirroredDeployment[],
  maxBytes: number = MAX_PUSH_BYTES,
): SplitResult {
  // `{"clusterId":…,"kind":…,"objects":[` + items joined by "," + `]}` is JSON.stringify's output.
  const head = `${JSON.stringify({ clusterId, kind }).slice(0, -1)},"objects":[`;
  const tail = ']}';
  const frame = Buffer.byteLength(head) + Buffer.byteLength(tail);
  const pushes: PushBody[] = [];
  const tooLarge: MirroredDeployment[] = [];
  let texts: string[] = [];
  let batch: MirroredDeployment[] = [];
  let size = frame;
  const close = (): void => {
    pushes.push({ kind, body: `${head}${texts.join(',')}${tail}`, objects: batch });
    texts = [];
    batch = [];
    size = frame;
  };
  for (const obj of objects) {
    const text = JSON.stringify(obj);
    const bytes = Buffer.byteLength(text);
    if (frame + bytes > maxBytes) {
      tooLarge.push(obj);
      continue;
    }
    const extra = bytes + (texts.length ? 1 : 0);
    if (size + extra > maxBytes) close();
    size += bytes + (texts.length ? 1 : 0);
    texts.push(text);
    batch.push(obj);
  }
  if (texts.length || objects.length === 0) close();
  return { pushes, tooLarge };
}
