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
    [
      'a missing variable in a loop',
      '{% for x in list %}\n{{ x.nope.deeper }}{% endfor %}',
      "'x.nope' is undefined",
      2,
      1,
    ],
    ['a missing key', 'a\nx: {{ args.nope }}', "'args.nope' is undefined", 2, 4],
    ['a lookup into a missing key', '{{ args.nope.deeper }}', "'args.nope' is undefined", 1, 1],
    ['a condition on a missing variable', '{% if missing %}a{% endif %}', "'missing' is undefined", 1, 1],
    ['a filter on a missing variable', '{{ missing | upcase }}', "'missing' is undefined", 1, 1],
    ['an unknown filter', '{{ flag | nofilter }}', "No filter named 'nofilter'", 1, 1],
    ['an unknown tag', 'a\n  {% macro m() %}', "Encountered unknown tag 'macro'", 2, 3],
    ['a bad expression', '{{ 1 + }}', 'unexpected token', 1, 1],
    ['an unclosed tag', 'a\n{% if flag %}', 'Unexpected end of template', 2, 1],
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

describe('Liquid syntax keeps working where it does not clash with Jinja', () => {
  it.each([
    ['filter arguments after a colon', '{{ list | join: "+" }}', '1+two'],
    ['assign', '{% assign n = args.nope | default: 1 %}{{ n }}', '1'],
    ['elsif', '{% if nothing %}a{% elsif flag %}b{% endif %}', 'b'],
    ['Liquid filter names', '{{ "Ab" | downcase }}{{ "Ab" | upcase }}{{ list | size }}', 'abAB2'],
  ])('%s', async (_name, src, expected) => {
    await expect(render(src)).resolves.toBe(expected);
  });
});

describe('TemplateEngine globals and filters per render call', () => {
  it('calls plain (async) functions with positional args and a trailing kwargs object', async () => {
    const calls: unknown[][] = [];
    const globals = {
      load_template: async (...args: unknown[]) => {
        calls.push(args);
        return `<${String(args[0])}>`;
      },
      images: { get_image: (name: unknown) => `img:${String(name)}` },
    };
    const out = await engine.render(
      '{{ load_template("a.yaml", x=1) }} {{ images.get_image("nginx") }} {% for i in [1, 2] %}{{ load_template("b" ~ i) }}{% endfor %}',
      vars,
      { file: 'f', globals },
    );
    expect(out).toBe('<a.yaml> img:nginx <b1><b2>');
    expect(calls).toEqual([['a.yaml', { x: 1 }], ['b1'], ['b2']]);
  });

  it('calls each async function of one expression once, with the results in place', async () => {
    const calls: string[] = [];
    const globals = {
      load: async (name: unknown) => {
        calls.push(`load ${String(name)}`);
        return String(name);
      },
    };
    const filters = {
      shout: async (v: unknown) => {
        calls.push(`shout ${String(v)}`);
        return String(v).toUpperCase();
      },
    };
    const out = await engine.render(
      '{{ load("a") ~ "-" ~ (load("b") | shout) ~ "-" ~ ("c" | shout) }}',
      vars,
      { file: 'f', globals, filters },
    );
    expect(out).toBe('a-B-C');
    expect(calls).toEqual(['load a', 'load b', 'shout b', 'shout c']);
  });

  it('gives functions the call context (all variables except loop variables) as `this`', async () => {
    const globals = {
      seen: function (this: { allVars(): Record<string, unknown> }) {
        return Object.keys(this.allVars()).includes('local');
      },
    };
    await expect(
      engine.render('{% set local = 1 %}{{ seen() }}', vars, { file: 'f', globals }),
    ).resolves.toBe('True');
  });

  it('registers extra filters for one call', async () => {
    const filters = {
      shout: (v: unknown, n: unknown) => `${String(v).toUpperCase()}${'!'.repeat(Number(n))}`,
    };
    await expect(engine.render('{{ "a" | shout(2) }}', vars, { file: 'f', filters })).resolves.toBe('A!!');
    await expect(render('{{ "a" | shout(2) }}')).rejects.toThrow("No filter named 'shout'");
  });

  it('reports a rejected function as a TemplateError with the position of the call', async () => {
    const globals = { fail: () => Promise.reject(new Error('boom')) };
    const err = (await engine
      .render('a\n{{ fail() }}', vars, { file: 'f', globals })
      .catch((e: unknown) => e)) as TemplateError;
    expect(err).toBeInstanceOf(TemplateError);
    expect(err.position).toEqual({ file: 'f', line: 2, column: 1 });
  });
});

describe('TemplateEngine caching', () => {
  it('parses a template text once and reuses it for other variables', async () => {
    const e = new TemplateEngine();
    const src = '{{ args.replicas }}-{{ target.name }}';
    const a = await e.render(src, vars, { file: 'a' });
    const b = await e.render(src, { ...vars, target: { name: 'prod' } }, { file: 'b' });
    expect([a, b]).toEqual(['3-dev', '3-prod']);
    expect((e as unknown as { cache: Map<string, unknown> }).cache.size).toBe(1);
  });
});
