// Generates syntaxes/tensor-shape.injection.tmLanguage.json, the TextMate grammar injected into
// Python that highlights tensor shapes in `#` comments: `# (B, C, H, W)`, `# [N, T, H]`,
// `# (B, 3, 224, 224) -> (B, 64, 112, 112)`, `# (B, 2C, H/4, W/4)`.
//   node scripts/grammar/tensor-shape.mjs           write the JSON (only if it changed)
//   node scripts/grammar/tensor-shape.mjs --check   exit 1 if the JSON is not what this writes
// Edit the parts below, never the JSON: its regexes are these parts pasted into each other.
// test/unit/grammar.test.ts fails when the JSON is out of date, test/unit/snippets.test.ts finds
// shape comments with the same parts, and test/grammar/ tokenizes the JSON with VS Code's own
// Python grammar. Exit codes: 0 written / up to date, 1 out of date (--check), 2 bad arguments.
//
// No `import.meta` here: the unit tests bundle this file as CommonJS, where it does not exist.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** The grammar file, relative to the repository root. */
export const GRAMMAR_FILE = 'syntaxes/tensor-shape.injection.tmLanguage.json';

/**
 * The parts of a shape, as regex source. Each is built from the ones before it.
 *
 * TextMate uses Oniguruma regexes, which have possessive quantifiers (`*+`, `++`, `?+`: never
 * give back what was matched). They make a comment that is almost a shape fail fast instead of
 * backtracking through every way to split it. JavaScript has none, so the 'javascript' flavor
 * uses plain greedy ones; nothing after a possessive quantifier here could match what it would
 * give back, so both flavors match the same text.
 *
 * @param {'oniguruma' | 'javascript'} [flavor]
 */
export function shapePatterns(flavor = 'oniguruma') {
  if (flavor !== 'oniguruma' && flavor !== 'javascript') throw new Error(`unknown regex flavor: ${flavor}`);
  const possessive = flavor === 'oniguruma' ? '+' : '';
  /** optional spaces */
  const _ = String.raw`\s*${possessive}`;

  /** A dimension name: an identifier (B, seq_len), dotted (cfg.d_model), maybe primed (C'). `None` is one too. */
  const name = String.raw`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*'*`;
  /** A size: 3, 224. */
  const integer = '[0-9]+';
  /**
   * A name glued to the integer before it, for implicit multiplication: 2C is 2*C. Only a name
   * that starts with a capital letter, so that numbers with a unit or a suffix (1st, 2nd, 3x, 10k,
   * 32px, 1e-3, 0x1F, 1_000, 2j) stay prose; and not E and digits, which is a float (1E-3, 1E5).
   */
  const juxtaposedName = String.raw`(?!E[-+]?[0-9])(?=[A-Z])${name}`;
  /** A name, or an integer with an optional name glued to it: C, 64, 2C. */
  const term = `(?:${name}|${integer}(?:${juxtaposedName})?)`;
  /** An arithmetic operator: H//2, 2*C, 2**k, L - k + 1, W/4, N % 8. */
  const operator = String.raw`(?://|\*\*|[-+*/%])`;
  /** Terms in parentheses, one level deep, to group arithmetic: (L - k)//s. */
  const group = String.raw`\(${_}${term}(?:${_}${operator}${_}${term})*${possessive}${_}\)`;
  /** Arithmetic of terms and groups, or a single one: C, 64*7*7, (L - k)//s + 1. */
  const expression = `(?:${term}|${group})(?:${_}${operator}${_}(?:${term}|${group}))*${possessive}`;
  /** Any number of dimensions, named: *batch. */
  const variadic = String.raw`\*${name}`;
  /** Any number of dimensions, unnamed: ... or …. */
  const ellipsis = String.raw`\.\.\.|…`;
  /** A whole dimension that is unknown or any: * (PyTorch's any number of dimensions), ?, -1 (inferred). None is one too, but it is also a name. */
  const wildcard = String.raw`\*|\?|-1`;
  /** An unknown or any dimension (or dimensions). */
  const unknown = `(?:${ellipsis}|${wildcard})`;
  /** One dimension: an expression, a variadic or an unknown. */
  const dimension = `(?:${expression}|${variadic}|${unknown})`;
  /**
   * What is between the brackets: dimensions separated by commas, with at least one comma (two
   * or more dimensions and an optional trailing comma, or one dimension and a comma: (B,)).
   */
  const list = `${_}${dimension}${_}(?:(?:,${_}${dimension}${_})+${possessive},?${possessive}|,)${_}`;
  /** A shape in parentheses: (B, C, H, W). */
  const parenShape = String.raw`\(${list}\)`;
  /** A shape in square brackets: [N, T, H]. */
  const bracketShape = String.raw`\[${list}\]`;
  /** Not right after a name, a dot, a closing bracket or a quote: f(a, b), x[0, 1], fns[0](a, b) are calls and indexes. */
  const notAfterCallee = String.raw`(?<![A-Za-z0-9_.)\]'])`;
  /** Not glued to what follows: (B, C)x, (a, b)(c) are not shapes. */
  const notGlued = String.raw`(?![A-Za-z0-9_(\[])`;
  /** A whole shape, either kind, where it can start and end. */
  const shape = `${notAfterCallee}(?:${parenShape}|${bracketShape})${notGlued}`;

  return {
    spaces: _,
    name,
    integer,
    juxtaposedName,
    term,
    operator,
    group,
    expression,
    variadic,
    ellipsis,
    wildcard,
    unknown,
    dimension,
    list,
    parenShape,
    bracketShape,
    notAfterCallee,
    notGlued,
    shape,
  };
}

/** The parts for the grammar (Oniguruma). */
export const PATTERNS = shapePatterns('oniguruma');
/** The same parts for JavaScript's RegExp: `new RegExp(JS_PATTERNS.shape)` finds a shape in a comment. */
export const JS_PATTERNS = shapePatterns('javascript');

const SHAPE = 'meta.tensor-shape.python';
const SUFFIX = 'tensor-shape.python';

/** The rule for one kind of bracket: it opens where a whole shape follows, and its dimensions are tokenized. */
function bracketRule(open, close, shape) {
  return {
    name: SHAPE,
    begin: `${PATTERNS.notAfterCallee}(?=${shape}${PATTERNS.notGlued})${open}`,
    beginCaptures: { 0: { name: 'punctuation.section.tensor-shape.begin.python' } },
    end: close,
    endCaptures: { 0: { name: 'punctuation.section.tensor-shape.end.python' } },
    patterns: [{ include: '#dimensions' }],
  };
}

/** The grammar, as the object written to the JSON file. */
export function buildGrammar() {
  const p = PATTERNS;
  const _ = p.spaces;
  return {
    name: 'Tensor shapes in Python comments',
    scopeName: 'tensor-shape.injection.python',
    // Only in comments; not in strings, not in MagicPython's `# type:` comments, and not again
    // inside a shape (its dimensions are scoped by the shape's own rules).
    injectionSelector: 'L:source.python comment.line.number-sign.python -string -meta.typehint.comment.python -meta.tensor-shape.python',
    patterns: [{ include: '#arrow' }, { include: '#shape' }],
    repository: {
      shape: {
        comment:
          'A bracketed list of dimensions with at least one comma: (B, C, H, W), [N, T, H], (B,). Each dimension is a name, an integer, simple arithmetic of those (H//2, 2*C, (L - k)//s + 1, and 2C for 2*C: an integer glued to a name that starts with a capital), a variadic *name, or an unknown/any dimension (*, ..., None, ?, -1). Anything else in the brackets (prose, floats, calls) means it is not a shape. A bracket right after a name, a dot or a closing bracket is a call or an index, not a shape.',
        // The begin regex looks ahead for the whole shape, so that `(see the paper)` is never
        // opened; the closing bracket then ends it.
        patterns: [bracketRule(String.raw`\(`, String.raw`\)`, p.parenShape), bracketRule(String.raw`\[`, String.raw`\]`, p.bracketShape)],
      },
      arrow: {
        comment: '-> or → followed by a shape: (B, 3, 224, 224) -> (B, 64, 112, 112), or `# -> (B, 10)` after a line of code.',
        name: `keyword.operator.arrow.${SUFFIX}`,
        match: `(?:->|→)(?=${_}${p.shape})`,
      },
      // The tokens inside a shape. The begin regex has already checked the whole shape, so these
      // only need to tell the parts apart. An integer is tried before a name, so 2C is the
      // integer 2 then the name C, as in 2*C.
      dimensions: {
        patterns: [
          { include: '#group' },
          {
            comment: 'a whole dimension that is unknown or any: *, ..., None, ?, -1',
            match: String.raw`(?<=[(\[,])${_}(${p.wildcard}|None)(?=${_}[,)\]])`,
            captures: { 1: { name: `constant.language.wildcard.${SUFFIX}` } },
          },
          { name: `constant.language.wildcard.${SUFFIX}`, match: p.ellipsis },
          {
            comment: '*batch: any number of dimensions, named',
            match: String.raw`(?<=[(\[,])${_}(\*)(?=[A-Za-z_])`,
            captures: { 1: { name: `keyword.operator.unpacking.${SUFFIX}` } },
          },
          { name: `keyword.operator.arithmetic.${SUFFIX}`, match: p.operator },
          { name: `constant.numeric.integer.decimal.${SUFFIX}`, match: p.integer },
          { name: `variable.parameter.dimension.${SUFFIX}`, match: p.name },
          { name: `punctuation.separator.dimension.${SUFFIX}`, match: ',' },
        ],
      },
      // Grouping parentheses inside a shape: (L - k)//s.
      group: {
        begin: String.raw`\(`,
        beginCaptures: { 0: { name: `punctuation.section.group.begin.${SUFFIX}` } },
        end: String.raw`\)`,
        endCaptures: { 0: { name: `punctuation.section.group.end.${SUFFIX}` } },
        patterns: [{ include: '#dimensions' }],
      },
    },
  };
}

/** The text of the JSON file: two-space indents, keys in the order above, a final newline. */
export function renderGrammar() {
  return `${JSON.stringify(buildGrammar(), null, 2)}\n`;
}

/** Writes (or with --check, compares) the JSON file under `root`; returns the exit code. */
function main(root, args) {
  const check = args.includes('--check');
  const unknown = args.filter((arg) => arg !== '--check');
  if (unknown.length) {
    console.error(`unknown argument(s): ${unknown.join(' ')}\nusage: node scripts/grammar/tensor-shape.mjs [--check]`);
    return 2;
  }
  const file = join(root, GRAMMAR_FILE);
  const expected = renderGrammar();
  const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (current === expected) {
    console.log(`${GRAMMAR_FILE} is up to date`);
    return 0;
  }
  if (check) {
    console.error(
      current === undefined
        ? `${GRAMMAR_FILE} is missing.`
        : `${GRAMMAR_FILE} differs from what scripts/grammar/tensor-shape.mjs generates (edited by hand, or the generator changed).`,
    );
    console.error('Edit scripts/grammar/tensor-shape.mjs, not the JSON, then run: node scripts/grammar/tensor-shape.mjs');
    return 1;
  }
  writeFileSync(file, expected);
  console.log(`wrote ${GRAMMAR_FILE}`);
  return 0;
}

// Run as a script (not imported): `node scripts/grammar/tensor-shape.mjs`.
const invoked = process.argv[1] ? resolve(process.argv[1]) : '';
if (basename(invoked) === 'tensor-shape.mjs' && basename(dirname(invoked)) === 'grammar') {
  process.exitCode = main(resolve(dirname(invoked), '../..'), process.argv.slice(2));
}
