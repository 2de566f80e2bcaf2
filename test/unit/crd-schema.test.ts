// Holds crds/gitops.kluctl.io_kluctldeployments.yaml and lib/api/types.ts together (STYLE.md rule 14):
// the field lists of crd-fields.ts are checked against the types by the compiler and against the
// schema here, in both directions and at every level. Expected Kluctl facts: kluctl-semantics §9.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { kluctlDeploymentCrdPath } from '../../lib/api/crd.js';
import { DURATION_PATTERN, SAFE_DURATION_PATTERN, parseDuration } from '../../lib/api/durations.js';
import { DURATION_FIELDS, SCHEMA_OBJECTS, SPEC_FIELDS, STATUS_FIELDS } from './crd-fields.js';
import { DEFAULTS } from '../../lib/api/spec-defaults.js';
import { DECRYPTION_PROVIDERS, DEPLOY_MODES } from '../../lib/api/types.js';
import { GITOPS_GROUP, GITOPS_VERSION, KD_KIND, KD_PLURAL } from '../../lib/api/constants.js';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
}

const crd = parse(readFileSync(kluctlDeploymentCrdPath(), 'utf8'));
const version = crd.spec.versions[0];
const root: Schema = version.schema.openAPIV3Schema;

/** Every schema node by path (`.` between properties, `[]` for items), root excluded. */
function walk(node: Schema, path: string, out: Map<string, Schema>): Map<string, Schema> {
  if (path) out.set(path, node);
  for (const [name, child] of Object.entries(node.properties ?? {}))
    walk(child, path ? `${path}.${name}` : name, out);
  if (node.items) walk(node.items, `${path}[]`, out);
  return out;
}
const nodes = walk(root, '', new Map());
const node = (path: string): Schema => {
  const n = nodes.get(path);
  if (!n) throw new Error(`schema has no ${path}`);
  return n;
};
const sorted = (xs: readonly string[]) => [...xs].sort();

describe('KluctlDeployment CRD identity', () => {
  it('names group, kind, plural and scope like Kluctl', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.metadata.name).toBe(`${KD_PLURAL}.${GITOPS_GROUP}`);
    expect(crd.spec.group).toBe(GITOPS_GROUP);
    expect(crd.spec.names).toEqual({
      kind: KD_KIND,
      listKind: `${KD_KIND}List`,
      plural: KD_PLURAL,
      singular: 'kluctldeployment',
    });
    expect(crd.spec.scope).toBe('Namespaced');
  });

  it('serves and stores only v1beta1, with a status subresource', () => {
    expect(crd.spec.versions).toHaveLength(1);
    expect(version).toMatchObject({ name: GITOPS_VERSION, served: true, storage: true });
    expect(version.subresources).toEqual({ status: {} });
  });

  it("has Kluctl's printer columns in Kluctl's order", () => {
    expect(version.additionalPrinterColumns).toEqual([
      { name: 'Suspend', type: 'boolean', jsonPath: '.spec.suspend' },
      { name: 'DryRun', type: 'boolean', jsonPath: '.spec.dryRun' },
      { name: 'Deployed', type: 'date', jsonPath: '.status.lastDeployResult.commandInfo.endTime' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'Drift', type: 'string', jsonPath: '.status.lastDriftDetectionResultMessage' },
      { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
  });
});

describe('schema versus lib/api/types.ts', () => {
  it('spec and status declare exactly SPEC_FIELDS and STATUS_FIELDS', () => {
    expect(sorted(Object.keys(node('spec').properties ?? {}))).toEqual(sorted(SPEC_FIELDS));
    expect(sorted(Object.keys(node('status').properties ?? {}))).toEqual(sorted(STATUS_FIELDS));
  });

  it.each(Object.entries(SCHEMA_OBJECTS))(
    '%s declares and requires the fields of its type',
    (path, shape) => {
      const n = node(path);
      expect(n.type).toBe('object');
      expect(sorted(Object.keys(n.properties ?? {}))).toEqual(sorted(shape.fields));
      expect(sorted(n.required ?? [])).toEqual(sorted(shape.required));
    },
  );

  it('every object with declared properties in the schema has a typed shape', () => {
    const declared = [...nodes].filter(([, n]) => n.properties).map(([p]) => p);
    expect(sorted(declared)).toEqual(sorted(Object.keys(SCHEMA_OBJECTS)));
  });

  it('is structural: every node has a type', () => {
    const untyped = [...nodes].filter(([, n]) => n.type === undefined).map(([p]) => p);
    expect(untyped).toEqual([]);
  });

  it('keeps unknown fields only in the free-form objects Kluctl has', () => {
    const free = [...nodes].filter(([, n]) => n['x-kubernetes-preserve-unknown-fields']).map(([p]) => p);
    const requests = ['reconcile', 'diff', 'deploy', 'prune', 'validate'].map(
      (k) => `status.${k}RequestResult.request.overridesPatch`,
    );
    expect(sorted(free)).toEqual(
      sorted([
        'spec.args',
        'spec.source.secretRef',
        'spec.source.credentials[]',
        ...requests,
        'status.lastDiffResult',
        'status.lastDeployResult',
        'status.lastValidateResult',
        'status.lastDriftDetectionResult',
      ]),
    );
    // An object without properties and without preserve-unknown-fields would silently drop all content.
    const emptyObjects = [...nodes].filter(
      ([, n]) => n.type === 'object' && !n.properties && !n['x-kubernetes-preserve-unknown-fields'],
    );
    expect(emptyObjects.map(([p]) => p)).toEqual(['metadata']);
  });
});

describe('defaults, enums and patterns', () => {
  it('spec defaults equal DEFAULTS, and nothing else is defaulted', () => {
    const defaults = Object.fromEntries(
      [...nodes].filter(([, n]) => n.default !== undefined).map(([p, n]) => [p, n.default]),
    );
    expect(defaults).toEqual(Object.fromEntries(Object.entries(DEFAULTS).map(([k, v]) => [`spec.${k}`, v])));
    expect(DEFAULTS).toMatchObject({
      validate: true,
      deployMode: 'full-deploy',
      prune: false,
      delete: false,
    });
  });

  it.each([
    ['spec.deployMode', DEPLOY_MODES],
    ['spec.decryption.provider', DECRYPTION_PROVIDERS],
    ['status.conditions[].status', ['True', 'False', 'Unknown']],
  ])('%s has the enum %j', (path, values) => {
    expect(node(path).enum).toEqual(values);
  });

  it('only the known fields carry enums', () => {
    const withEnum = [...nodes].filter(([, n]) => n.enum).map(([p]) => p);
    expect(sorted(withEnum)).toEqual(
      sorted(['spec.deployMode', 'spec.decryption.provider', 'status.conditions[].status']),
    );
  });

  it.each(Object.entries(DURATION_FIELDS))(
    'spec.%s is a string with the %s duration pattern',
    (field, kind) => {
      const n = node(`spec.${field}`);
      expect(n.type).toBe('string');
      expect(n.pattern).toBe(kind === 'strict' ? DURATION_PATTERN : SAFE_DURATION_PATTERN);
    },
  );

  it('no other spec field carries a duration pattern', () => {
    const patterned = [...nodes]
      .filter(([p, n]) => p.startsWith('spec.') && n.pattern !== undefined)
      .map(([p]) => p.slice('spec.'.length));
    expect(sorted(patterned)).toEqual(sorted(Object.keys(DURATION_FIELDS)));
  });

  it.each(['spec.target', 'spec.targetNameOverride'])('%s is 1..63 characters', (path) => {
    expect(node(path)).toMatchObject({ type: 'string', minLength: 1, maxLength: 63 });
  });

  it('requires spec.source to name git, oci or url', () => {
    const rules = node('spec.source')['x-kubernetes-validations'] ?? [];
    expect(rules).toEqual([
      { rule: 'has(self.git) || has(self.oci) || has(self.url)', message: expect.any(String) },
    ]);
  });
});

describe('duration patterns agree with parseDuration', () => {
  const strict = new RegExp(DURATION_PATTERN);
  const safe = new RegExp(SAFE_DURATION_PATTERN);

  it.each(['10m', '1h30m', '500ms', '1.5h', '30s', '2h0m0s'])('%s passes both patterns and parses', (v) => {
    expect(strict.test(v)).toBe(true);
    expect(safe.test(v)).toBe(true);
    expect(() => parseDuration(v)).not.toThrow();
  });

  it.each(['tenminutes', '10', '', 'm', '-5m', '10 m', '1d'])(
    '%j fails the strict pattern and parsing',
    (v) => {
      expect(strict.test(v)).toBe(false);
      expect(() => parseDuration(v)).toThrow();
    },
  );

  // Kluctl's SafeDuration pattern is anchored only at the start; the parser is the second line of defence.
  it('the safe pattern lets trailing junk through, parseDuration does not', () => {
    expect(safe.test('10mfoo')).toBe(true);
    expect(() => parseDuration('10mfoo')).toThrow();
  });
});
