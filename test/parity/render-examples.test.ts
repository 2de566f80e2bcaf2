/**
 * Render parity on Kluctl's official examples (kluctl-examples 8dcccb8, the seed's
 * microservices-demo/3-templating-and-multi-env among them): every project and target rendered by the
 * real Kluctl v2.28.2 and by ours, offline and against the test API server, compared field by field.
 * Projects that need the internet are not comparable here; docs/parity.md lists each with its reason.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DELIBERATE } from './deliberate.js';
import { discoverCases } from './projects.js';
import { renderParitySuite } from './render-suite.js';
import { prepareWorkspace } from './workspace.js';

const ws = await prepareWorkspace();
const { cases, notComparable } = discoverCases(ws.examples);

describe('kluctl-examples', () => {
  it('holds the seed targets; docs/parity.md lists every project not comparable here and every deliberate difference', () => {
    const ids = cases.map((c) => c.id);
    expect(ids).toContain('kluctl-examples/microservices-demo/3-templating-and-multi-env -t test');
    expect(ids).toContain('kluctl-examples/microservices-demo/3-templating-and-multi-env -t prod');
    const doc = readFileSync(fileURLToPath(new URL('../../docs/parity.md', import.meta.url)), 'utf8');
    for (const n of notComparable) expect(doc).toContain(n.project.replace(/^kluctl-examples\//, ''));
    for (const d of DELIBERATE) expect(doc).toContain(d.aspect);
  });

  renderParitySuite(cases, ws.dispose);
});
