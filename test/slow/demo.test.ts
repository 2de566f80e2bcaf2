/**
 * The README's first command, as a newcomer runs it: `npm run demo -- --once` starts its own control
 * plane and Git server, and must bring both example deployments to Ready and print the status table.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('npm run demo -- --once reconciles both targets to Ready', async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = spawn('npm', ['run', '--silent', 'demo', '--', '--once'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    },
  );
  if (code !== 0) throw new Error(`demo exited with ${code}\n${stdout}\n${stderr}`);
  const rows = stdout.split('\n').filter((l) => /^kluctl-system\s+demo-(dev|prod)\s/.test(l));
  expect(rows).toHaveLength(2);
  for (const r of rows)
    expect(r).toMatch(/\sTrue\s+no drift\s+deploy succeeded\. 4 new objects\. validate succeeded\./);
}, 300_000);
