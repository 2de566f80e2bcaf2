import { TemplateError } from '../../lib/errors.js';
import { TemplateEngine } from '../../lib/templating/template-engine.js';

const engine = new TemplateEngine();
const vars = {
  target: { name: 'dev' },
  args: { replicas: 3, nested: { a: 'x' } },
  flag: true,
  nothing: null,
  list: [1, 'two'],
  dict: { k: 'v' },
  text: 'héllo',
};
const render = (src: string): Promise<string> => engine.render(src, vars, { file: 'dir/cm.yaml' });

describe('TemplateEngine.render', () => {
  it.each([
    [
      'plain variable paths',
      'n={{ target.name }} r={{ args.replicas }} a={{ args.nested.a }}',
      'n=dev r=3 a=x',
    ],
    ['a single trailing newline is dropped', 'a: {{ target.name }}\n', 'a: dev'],
    ['only one trailing newline is dropped', 'a: {{ target.name }}\n\n', 'a: dev\n'],
    ['CRLF becomes LF', 'a\r\nb{{ flag }}\r\n', 'a\nbTrue'],
    ['booleans and none print like Python', '{{ flag }} {{ nothing }}', 'True None'],
    ['lists and dicts print as Python reprs', '{{ list }} {{ dict }}', "[1, 'two'] {'k': 'v'}"],
    ['raw blocks are left alone', '{% raw %}{{ x }}{% endraw %}', '{{ x }}'],
    ['default replaces a missing variable', '{{ missing | default: "d" }}', 'd'],
    ['default replaces a missing key', '{{ args.nope | default: 7 }}', '7'],
    [
      'default keeps a defined falsy value',
      '{{ flag | default: "d" }}|{{ nothing | default: "d" }}',
      'True|None',
    ],
    ['to_json like json.dumps', '{{ args | to_json }}', '{"replicas": 3, "nested": {"a": "x"}}'],
    ['to_json escapes non-ASCII', '{{ text | to_json }}', '"h\\u00e9llo"'],
    ['to_yaml in block style', '{{ args | to_yaml }}', 'replicas: 3\nnested:\n  a: x\n'],
    ['b64encode / b64decode', '{{ text | b64encode }} {{ "aMOpbGxv" | b64decode }}', 'aMOpbGxv héllo'],
    [
      'sha256 with digest length',
      '{{ "x" | sha256 }} {{ "x" | sha256: 6 }}',
      '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 2d7116',
    ],
    ['if on a defined value', '{% if flag %}yes{% else %}no{% endif %}', 'yes'],
  ])('%s', async (_name, src, expected) => {
    await expect(render(src)).resolves.toBe(expected);
  });

  it('copies text without { verbatim, trailing newline included', async () => {
    await expect(render('a: b\n')).resolves.toBe('a: b\n');
  });

  it.each([
    ['a missing variable', 'x: {{ missing }}', "'missing' is undefined", 1, 4],
    ['a missing key', 'a\nx: {{ args.nope }}', "'args.nope' is undefined", 2, 4],
    ['a lookup into a missing key', '{{ args.nope.deeper }}', "'args.nope' is undefined", 1, 4],
    ['a condition on a missing variable', '{% if missing %}a{% endif %}', "'missing' is undefined", 1, 1],
    ['a filter on a missing variable', '{{ missing | upcase }}', "'missing' is undefined", 1, 1],
    ['an unknown filter', '{{ flag | nofilter }}', 'undefined filter: nofilter', 1, 1],
    ['an unclosed tag', 'a\n{% if flag %}', 'not closed', 2, 1],
  ])('fails on %s with file, line and construct', async (_name, src, message, line, column) => {
    const err = await render(src).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TemplateError);
    const te = err as TemplateError;
    expect(te.message).toContain(message);
    expect(te.message).toMatch(/^dir\/cm\.yaml:\d+:\d+: /);
    expect(te.position).toEqual({ file: 'dir/cm.yaml', line, column });
  });
});

describe('TemplateEngine.renderStrings', () => {
  it('renders nested strings and reports whether anything changed', async () => {
    const r = await engine.renderStrings(
      { a: '{{ target.name }}', b: ['x', '{{ args.replicas }}'], c: 5 },
      vars,
      { file: 't' },
    );
    expect(r).toEqual({ value: { a: 'dev', b: ['x', '3'], c: 5 }, changed: true, errors: [] });
    const again = await engine.renderStrings(r.value, vars, { file: 't' });
    expect(again.changed).toBe(false);
  });

  it('keeps failing strings and collects their errors', async () => {
    const r = await engine.renderStrings({ a: '{{ nope }}', b: '{{ target.name }}' }, vars, { file: 't' });
    expect(r.value).toEqual({ a: '{{ nope }}', b: 'dev' });
    expect(r.errors).toHaveLength(1);
  });
});

describe('TemplateEngine.evaluateCondition', () => {
  it.each([
    ['', true],
    ['target.name == "dev"', true],
    ['target.name == "prod"', false],
    ['flag', true],
    ['args.replicas > 5', false],
  ])('%j is %s', async (expr, expected) => {
    await expect(engine.evaluateCondition(expr, vars, { file: 'd' })).resolves.toBe(expected);
  });
});
