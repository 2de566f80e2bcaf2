/** The syntax tree of Jinja expressions (the subset of Jinja2's nodes that expressions use). */

/** An expression node. */
export type Expr =
  | { readonly t: 'const'; readonly v: unknown }
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'getattr'; readonly obj: Expr; readonly attr: string; readonly path: string }
  | { readonly t: 'getitem'; readonly obj: Expr; readonly key: Expr; readonly path: string }
  | {
      readonly t: 'slice';
      readonly obj: Expr;
      readonly start: Expr | null;
      readonly stop: Expr | null;
      readonly step: Expr | null;
    }
  | { readonly t: 'call'; readonly fn: Expr; readonly args: readonly Expr[]; readonly kwargs: Kwargs }
  | {
      readonly t: 'filter';
      readonly name: string;
      readonly input: Expr;
      readonly args: readonly Expr[];
      readonly kwargs: Kwargs;
    }
  | {
      readonly t: 'test';
      readonly name: string;
      readonly input: Expr;
      readonly args: readonly Expr[];
      readonly kwargs: Kwargs;
      readonly negate: boolean;
    }
  | { readonly t: 'list' | 'tuple'; readonly items: readonly Expr[] }
  | { readonly t: 'dict'; readonly pairs: readonly (readonly [Expr, Expr])[] }
  | { readonly t: 'bin'; readonly op: BinOp; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'cmp'; readonly first: Expr; readonly ops: readonly (readonly [CmpOp, Expr])[] }
  | { readonly t: 'and' | 'or'; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'not' | 'neg' | 'pos'; readonly x: Expr }
  | { readonly t: 'cond'; readonly test: Expr; readonly then: Expr; readonly else: Expr | null };

/** Keyword arguments of a call, filter or test. */
export type Kwargs = readonly (readonly [string, Expr])[];

/** Binary arithmetic operators. */
export type BinOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';

/** Comparison operators. */
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'notin';

/** The target of `{% for %}` and `{% set %}`: a name, a tuple of targets, or `ns.attr`. */
export type Target =
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'tuple'; readonly items: readonly Target[] }
  | { readonly t: 'nsattr'; readonly name: string; readonly attr: string };
