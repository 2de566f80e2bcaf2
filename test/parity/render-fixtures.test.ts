/**
 * Render parity on our own fixture projects (test/fixtures/projects/*, examples/demo): every target
 * rendered by the real Kluctl v2.28.2 and by ours, offline and against the test API server, compared
 * field by field, with the object order and the objects hash.
 */
import { discoverCases } from './projects.js';
import { renderParitySuite } from './render-suite.js';
import { prepareWorkspace } from './workspace.js';

const ws = await prepareWorkspace();
const found = ws.fixtures.map(discoverCases);

describe('fixture projects', () => {
  it('are all renderable without the internet', () => {
    expect(found.flatMap((f) => f.notComparable)).toEqual([]);
  });

  renderParitySuite(
    found.flatMap((f) => f.cases),
    ws.dispose,
  );
});
