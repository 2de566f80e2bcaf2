/**
 * `npm run bench [-- <name>...]`: runs the benchmarks (all by default). Each prints one JSON line per
 * case, with its baseline measured in the same run.
 */
const ALL = [
  'deploy',
  'noop-reconcile',
  'noop-reconcile-function',
  'render',
  'schedule',
  'templating',
  'webhook',
  'clone-cache',
  'startup',
  'scale',
] as const;
/** Benchmarks whose file is not named after them. */
const FILES: Readonly<Record<string, string>> = { schedule: 'schedule-tick' };
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
if (process.argv.includes('--help')) {
  process.stdout.write(`usage: npm run bench [-- ${ALL.join('|')} ...]\n`);
  process.exit(0);
}
// `scale` runs only when named: it takes many minutes per N.
for (const name of chosen.length > 0 ? chosen : ALL.filter((b) => b !== 'scale')) {
  if (!(ALL as readonly string[]).includes(name)) {
    process.stderr.write(`unknown benchmark '${name}' (known: ${ALL.join(', ')})\n`);
    process.exit(2);
  }
  const mod = (await import(`./${FILES[name] ?? name}.ts`)) as { main(): Promise<void> };
  await mod.main();
}
