// Grammar tests for syntaxes/*.tmLanguage.json, with vscode-tmgrammar-test's test-file format
// (`# SYNTAX TEST "source.python"` header, `#   ^^^ scope - excluded.scope` assertion lines)
// and the same TextMate engine VS Code uses (vscode-textmate + vscode-oniguruma).
//
//   node test/grammar/run.mjs                 run every test/grammar/*.test.py
//   node test/grammar/run.mjs FILE...         run those test files
//   node test/grammar/run.mjs --python-grammar PATH
//                                             tokenize with another source.python grammar than the
//                                             default, VS Code's own (see below)
//   node test/grammar/run.mjs --show 'x = f(x)  # (B, C)'
//                                             print the tokens and scopes of one line, run no test
//
// The base grammar is the real one: VS Code's built-in Python grammar (MagicPython), taken from
// the code-server the other test tiers use (installed into the cache on first use). Besides the assertions, it checks that every regex in the injection grammar
// compiles and that package.json contributes the grammar with the right scopeName and injectTo.
// Counts: one per `^`/`<-` assertion and one per check; the last line is
// `grammar: N passed, M failed`, and the exit code is 1 on any failure (or when nothing ran).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { builtinExtensionsDir, ensureCodeServer } from '../../scripts/lib/codeServer.mjs';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const toolRequire = createRequire(require.resolve('vscode-tmgrammar-test/package.json'));
const { createRegistryFromGrammars } = toolRequire('./dist/common/index.js');
const { parseGrammarTestCase } = toolRequire('./dist/unit/index.js');
const oniguruma = toolRequire('vscode-oniguruma');

const INJECTION = {
  path: './syntaxes/tensor-shape.injection.tmLanguage.json',
  injectTo: ['source.python'],
};

function usage(message) {
  if (message) console.error(message);
  console.error("usage: node test/grammar/run.mjs [--python-grammar PATH] [--show 'LINE'] [TEST_FILE...]");
  process.exit(2);
}

const args = process.argv.slice(2);
let pythonGrammar;
let show;
const files = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--python-grammar') pythonGrammar = resolve(args[++i] ?? usage('--python-grammar needs a path'));
  else if (arg === '--show') show = args[++i] ?? usage('--show needs a line of Python');
  else if (arg === '--help' || arg === '-h') usage();
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else files.push(resolve(arg));
}
pythonGrammar ??= join(builtinExtensionsDir(ensureCodeServer()), 'python', 'syntaxes', 'MagicPython.tmLanguage.json');
if (!existsSync(pythonGrammar)) usage(`no such grammar: ${pythonGrammar}`);

const injectionPath = join(root, INJECTION.path);
const injectionText = readFileSync(injectionPath, 'utf8');
const injection = JSON.parse(injectionText);
const registry = createRegistryFromGrammars([
  { grammar: { path: pythonGrammar, scopeName: 'source.python' }, content: readFileSync(pythonGrammar, 'utf8') },
  { grammar: { path: injectionPath, scopeName: injection.scopeName, injectTo: INJECTION.injectTo }, content: injectionText },
]);
const python = await registry.loadGrammar('source.python');
if (!python) throw new Error(`could not load source.python from ${pythonGrammar}`);

if (show !== undefined) {
  const { tokens } = python.tokenizeLine(show, null);
  for (const token of tokens) {
    const text = show.slice(token.startIndex, token.endIndex);
    console.log(`${String(token.startIndex).padStart(3)}-${String(token.endIndex).padEnd(3)} ${JSON.stringify(text).padEnd(18)} ${token.scopes.join(' ')}`);
  }
  process.exit(0);
}

let passed = 0;
let failed = 0;
function check(ok, label, detail = '') {
  if (ok) passed++;
  else {
    failed++;
    console.log(`  FAIL ${label}${detail ? `\n       ${detail}` : ''}`);
  }
}

// 1. The contribution in package.json matches the grammar file.
console.log('package.json');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const entry = (manifest.contributes?.grammars ?? []).find((g) => g.path?.replace(/^\.\//, '') === INJECTION.path.slice(2));
check(
  entry !== undefined,
  `contributes.grammars has an entry for ${INJECTION.path}`,
  `add: ${JSON.stringify({ scopeName: injection.scopeName, path: INJECTION.path, injectTo: INJECTION.injectTo })}`,
);
if (entry) {
  check(entry.scopeName === injection.scopeName, `its scopeName is the grammar's (${injection.scopeName})`, `found ${entry.scopeName}`);
  check(
    Array.isArray(entry.injectTo) && entry.injectTo.includes('source.python'),
    'its injectTo includes source.python',
    `found ${JSON.stringify(entry.injectTo)}`,
  );
  check(entry.language === undefined, 'it names no language (an injection grammar must not)', `found ${entry.language}`);
}

// 2. Every regex of the injection grammar compiles (TextMate compiles lazily, so a broken rule
// that no test reaches would otherwise go unnoticed).
console.log('regexes');
const regexes = [];
(function collect(node, where) {
  if (Array.isArray(node)) node.forEach((item, i) => collect(item, `${where}[${i}]`));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (['match', 'begin', 'end', 'while'].includes(key) && typeof value === 'string') regexes.push([`${where}.${key}`, value]);
      else collect(value, `${where}.${key}`);
    }
  }
})(injection, 'grammar');
for (const [where, source] of regexes) {
  let error = '';
  try {
    new oniguruma.OnigScanner([source]).dispose();
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  check(error === '', `${where} compiles`, error);
}
console.log(`  ${regexes.length} regexes`);

// 3. The test files.
const testFiles = files.length
  ? files
  : readdirSync(join(root, 'test/grammar'))
      .filter((name) => name.endsWith('.test.py'))
      .sort()
      .map((name) => join(root, 'test/grammar', name));
if (testFiles.length === 0) check(false, 'test/grammar has *.test.py files');
for (const file of testFiles) {
  const name = relative(root, file);
  let testCase;
  try {
    testCase = parseGrammarTestCase(readFileSync(file, 'utf8'));
  } catch (e) {
    check(false, `${name} parses`, e instanceof Error ? e.message : String(e));
    continue;
  }
  const grammar = await registry.loadGrammar(testCase.metadata.scope);
  if (!grammar) {
    check(false, `${name}: grammar ${testCase.metadata.scope} loads`);
    continue;
  }
  const byLine = new Map(testCase.assertions.map((a) => [a.sourceLineNumber, a]));
  const before = { passed, failed };
  let ruleStack = null;
  testCase.source.forEach((line, n) => {
    const result = grammar.tokenizeLine(line, ruleStack);
    ruleStack = result.ruleStack;
    const lineAssertions = byLine.get(n);
    if (!lineAssertions) return;
    for (const { from, to, scopes, exclude } of lineAssertions.scopeAssertions) {
      // The same rule as vscode-tmgrammar-test: every token overlapping [from, to) must have the
      // required scopes in this order (others may sit between) and none of the excluded ones.
      const tokens = result.tokens.filter((t) => from < t.endIndex && to > t.startIndex);
      const problems = [];
      if (tokens.length === 0 && scopes.length > 0) problems.push('no token there');
      for (const token of tokens) {
        let j = 0;
        for (const scope of token.scopes) if (scope === scopes[j]) j++;
        const missing = scopes.slice(j);
        const unexpected = exclude.filter((s) => token.scopes.includes(s));
        if (missing.length || unexpected.length) {
          problems.push(
            `${JSON.stringify(line.slice(token.startIndex, token.endIndex))} has ${token.scopes.join(' ')}` +
              (missing.length ? `; missing ${missing.join(' ')}` : '') +
              (unexpected.length ? `; unexpected ${unexpected.join(' ')}` : ''),
          );
        }
      }
      check(
        problems.length === 0,
        `${name}:${lineAssertions.testCaseLineNumber + 1}:${from + 1} ${line.trim()}`,
        `${scopes.join(' ')}${exclude.length ? ` - ${exclude.join(' ')}` : ''}\n       ${problems.join('\n       ')}`,
      );
    }
  });
  console.log(`${name}: ${passed - before.passed} passed, ${failed - before.failed} failed`);
}

console.log(`(base grammar: ${relative(root, pythonGrammar).startsWith('..') ? pythonGrammar : relative(root, pythonGrammar)})`);
console.log(`grammar: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
