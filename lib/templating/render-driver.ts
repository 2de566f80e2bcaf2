/**
 * Runs liquidjs's render generators. liquidjs's own driver awaits every step it yields; ours awaits only
 * real promises (a template function's result) and steps through nested generators synchronously, so
 * a template without async calls renders without a microtask hop per step.
 */

function isIterator(v: unknown): v is Iterator<unknown> {
  return (
    v !== null &&
    typeof v === 'object' &&
    typeof (v as Iterator<unknown>).next === 'function' &&
    typeof (v as { then?: unknown }).then !== 'function' &&
    typeof (v as Iterator<unknown>).throw === 'function'
  );
}

/** Runs a liquidjs render generator to its end, awaiting only real promises; returns its result. */
export async function drive(root: Iterator<unknown>): Promise<unknown> {
  const stack: Iterator<unknown>[] = [root];
  let input: unknown;
  let throwing = false;
  while (stack.length > 0) {
    const it = stack[stack.length - 1]!;
    let r: IteratorResult<unknown>;
    try {
      r = throwing ? it.throw!(input) : it.next(input);
      throwing = false;
    } catch (err) {
      stack.pop();
      if (stack.length === 0) throw err;
      input = err;
      throwing = true;
      continue;
    }
    if (r.done) {
      stack.pop();
      input = r.value;
      continue;
    }
    const v = r.value;
    if (isIterator(v)) {
      stack.push(v);
      input = undefined;
    } else if (
      v !== null &&
      typeof v === 'object' &&
      typeof (v as PromiseLike<unknown>).then === 'function'
    ) {
      try {
        input = await v;
      } catch (err) {
        input = err;
        throwing = true;
      }
    } else input = v;
  }
  return input;
}
