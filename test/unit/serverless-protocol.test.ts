import { describe, expect, it } from '@jest/globals';
import { messageGroupId, REPLAY_WINDOW_MS, signPush, verifyPush } from '../../lib/serverless/protocol.js';

const key = Buffer.from('shim-key-of-cluster-a');
const now = Date.UTC(2026, 11, 6, 12, 0, 0);
const ts = Math.floor(now / 1000);
const body = '{"clusterId":"a","kind":"upsert","objects":[]}';

function headers(signature: string, timestamp = String(ts), clusterId = 'a') {
  return { clusterId, timestamp, signature };
}

describe('shim push signatures', () => {
  it('accepts a push signed with the cluster key', () => {
    expect(verifyPush(key, headers(signPush(key, 'a', ts, body)), body, now)).toBe('ok');
  });

  it('refuses a changed body, another cluster id, another key and a truncated signature', () => {
    const sig = signPush(key, 'a', ts, body);
    expect(verifyPush(key, headers(sig), body.replace('upsert', 'delete'), now)).toBe('mismatch');
    expect(verifyPush(key, headers(sig, String(ts), 'b'), body, now)).toBe('mismatch');
    expect(verifyPush(Buffer.from('other'), headers(sig), body, now)).toBe('mismatch');
    expect(verifyPush(key, headers(sig.slice(0, -2)), body, now)).toBe('mismatch');
  });

  it('refuses pushes outside the replay window, in both directions', () => {
    const old = ts - REPLAY_WINDOW_MS / 1000 - 1;
    expect(verifyPush(key, headers(signPush(key, 'a', old, body), String(old)), body, now)).toBe('expired');
    const future = ts + REPLAY_WINDOW_MS / 1000 + 1;
    expect(verifyPush(key, headers(signPush(key, 'a', future, body), String(future)), body, now)).toBe(
      'expired',
    );
  });

  it('tells missing and malformed headers apart', () => {
    expect(verifyPush(key, { clusterId: 'a', timestamp: String(ts) }, body, now)).toBe('missing');
    expect(verifyPush(key, headers('sha256=00', String(ts)), body, now)).toBe('malformed');
    expect(verifyPush(key, headers(signPush(key, 'a', ts, body), '12.5'), body, now)).toBe('malformed');
  });
});

describe('messageGroupId', () => {
  it('keeps deployments of different clusters in different groups', () => {
    const a = messageGroupId({ clusterId: 'a', namespace: 'ns', name: 'x' });
    const b = messageGroupId({ clusterId: 'b', namespace: 'ns', name: 'x' });
    expect(a).not.toBe(b);
  });
});
