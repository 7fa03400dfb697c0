// Grammar tests for syntaxes/*.tmLanguage.json, with vscode-tmgrammar-test's test-file format
// (`# SYNTAX TEST "source.python"` header, `#   ^^^ scope - excluded.scope` assertion lines)
// and the same TextMate engine VS Code uses (vscode-textmate + vscode-oniguruma).
//
//   node test/grammar/run.mjs                 run every test/grammar/*.test.py and
//                                             test/grammar/training-log*.test.log
//   node test/grammar/run.mjs FILE...         run those test files
//   node test/grammar/run.mjs --python-grammar PATH
//                                             tokenize with another source.python grammar than the
//                                             default, VS Code's own (see below)
//   node test/grammar/run.mjs --show 'x = f(x)  # (B, C)'
//                                             print the tokens and scopes of one line, run no test
//   node test/grammar/run.mjs --scope text.log.training --show 'loss: 0.41'
//                                             the same with another grammar than source.python
//
// Two grammars: the tensor-shape injection into Python, and the standalone training-log language
// (text.log.training; a test file's header names the grammar it tokenizes with). The base grammar
// of the injection is the real one: VS Code's built-in Python grammar (MagicPython), taken from
// the code-server the other test tiers use (installed into the cache on first use); the
// training-log grammar embeds it for the source lines of traceback frames. Besides the
// assertions, it checks that every regex of both grammars compiles, that package.json contributes
// each grammar with the right scopeName and injectTo or language (and the language its
// configuration file), and that a 10,000-character tqdm line is tokenized to its end.
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
const TRAINING_LOG = {
  path: './syntaxes/training-log.tmLanguage.json',
  language: 'training-log',
};

function usage(message) {
  if (message) console.error(message);
  console.error("usage: node test/grammar/run.mjs [--python-grammar PATH] [--scope SCOPE] [--show 'LINE'] [TEST_FILE...]");
  process.exit(2);
}

const args = process.argv.slice(2);
let pythonGrammar;
let show;
let showScope = 'source.python';
const files = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--python-grammar') pythonGrammar = resolve(args[++i] ?? usage('--python-grammar needs a path'));
  else if (arg === '--show') show = args[++i] ?? usage('--show needs a line');
  else if (arg === '--scope') showScope = args[++i] ?? usage('--scope needs a grammar scope name');
  else if (arg === '--help' || arg === '-h') usage();
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else files.push(resolve(arg));
}
pythonGrammar ??= join(builtinExtensionsDir(ensureCodeServer()), 'python', 'syntaxes', 'MagicPython.tmLanguage.json');
if (!existsSync(pythonGrammar)) usage(`no such grammar: ${pythonGrammar}`);

const injectionPath = join(root, INJECTION.path);
const injectionText = readFileSync(injectionPath, 'utf8');
const injection = JSON.parse(injectionText);
const trainingLogPath = join(root, TRAINING_LOG.path);
const trainingLogText = readFileSync(trainingLogPath, 'utf8');
const trainingLog = JSON.parse(trainingLogText);
const registry = createRegistryFromGrammars([
  { grammar: { path: pythonGrammar, scopeName: 'source.python' }, content: readFileSync(pythonGrammar, 'utf8') },
  { grammar: { path: injectionPath, scopeName: injection.scopeName, injectTo: INJECTION.injectTo }, content: injectionText },
  { grammar: { path: trainingLogPath, scopeName: trainingLog.scopeName }, content: trainingLogText },
]);
const python = await registry.loadGrammar('source.python');
if (!python) throw new Error(`could not load source.python from ${pythonGrammar}`);

if (show !== undefined) {
  const grammar = await registry.loadGrammar(showScope);
  if (!grammar) usage(`no grammar with scope ${showScope}`);
  const { tokens } = grammar.tokenizeLine(show, null);
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

// 1. The contributions in package.json match the grammar files.
console.log('package.json');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const grammarEntry = (path) => (manifest.contributes?.grammars ?? []).find((g) => g.path?.replace(/^\.\//, '') === path.slice(2));

const entry = grammarEntry(INJECTION.path);
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

const logEntry = grammarEntry(TRAINING_LOG.path);
check(
  logEntry !== undefined,
  `contributes.grammars has an entry for ${TRAINING_LOG.path}`,
  `add: ${JSON.stringify({ language: TRAINING_LOG.language, scopeName: trainingLog.scopeName, path: TRAINING_LOG.path })}`,
);
if (logEntry) {
  check(logEntry.scopeName === trainingLog.scopeName, `its scopeName is the grammar's (${trainingLog.scopeName})`, `found ${logEntry.scopeName}`);
  check(logEntry.language === TRAINING_LOG.language, `its language is ${TRAINING_LOG.language}`, `found ${logEntry.language}`);
  check(logEntry.injectTo === undefined, 'it has no injectTo (a standalone grammar)', `found ${JSON.stringify(logEntry.injectTo)}`);
}
const language = (manifest.contributes?.languages ?? []).find((l) => l.id === TRAINING_LOG.language);
check(language !== undefined, `contributes.languages has the language ${TRAINING_LOG.language}`);
if (language) {
  let error = '';
  try {
    const configuration = JSON.parse(readFileSync(join(root, language.configuration ?? ''), 'utf8'));
    if (!Array.isArray(configuration.brackets)) error = 'it has no "brackets" list';
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  check(error === '', `its configuration ${language.configuration} is a language configuration`, error);
}

// 2. Every regex of both grammars compiles (TextMate compiles lazily, so a broken rule that no
// test reaches would otherwise go unnoticed).
console.log('regexes');
for (const [label, grammar] of [[INJECTION.path, injection], [TRAINING_LOG.path, trainingLog]]) {
  const regexes = [];
  (function collect(node, where) {
    if (Array.isArray(node)) node.forEach((item, i) => collect(item, `${where}[${i}]`));
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (['match', 'begin', 'end', 'while'].includes(key) && typeof value === 'string') regexes.push([`${where}.${key}`, value]);
        else collect(value, `${where}.${key}`);
      }
    }
  })(grammar, 'grammar');
  for (const [where, source] of regexes) {
    let error = '';
    try {
      new oniguruma.OnigScanner([source]).dispose();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    check(error === '', `${label}: ${where} compiles`, error);
  }
  console.log(`  ${label}: ${regexes.length} regexes`);
}

// 3. The test files.
const testFiles = files.length
  ? files
  : readdirSync(join(root, 'test/grammar'))
      .filter((name) => name.endsWith('.test.py') || /^training-log.*\.test\.log$/.test(name))
      .sort()
      .map((name) => join(root, 'test/grammar', name));
if (testFiles.length === 0) check(false, 'test/grammar has *.test.py and training-log*.test.log files');
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

// 4. Long lines: a progress line can run to thousands of characters (a wide tqdm bar, many
// postfix metrics, updates a terminal would have overwritten). Each must be tokenized to its end
// with the right scopes; a regex that backtracks badly would stall here. The times are printed,
// not asserted (speed belongs in bench/).
console.log('long lines');
const logGrammar = await registry.loadGrammar(trainingLog.scopeName);
const TAIL = ' loss=0.412';
const update = (i) => `Epoch 1:  ${i % 100}%|${'█'.repeat(i % 10)}${' '.repeat(10 - (i % 10))}| ${i}/1000 [00:12<00:15, 36.2it/s, loss=0.412, v_num=0]`;
const longLines = [
  ['a 10,000-character tqdm bar', `Epoch 1:  45%|${'█'.repeat(9950)}| 450/1000 [00:12<00:15, 36.2it/s,${TAIL}]`],
  ['a tqdm line with 900 postfix metrics', `Epoch 1:  45%|████▌     | 450/1000 [00:12<00:15, 36.2it/s, ${Array.from({ length: 900 }, (_, i) => `m_${i}=0.5`).join(', ')},${TAIL}]`],
  ['10,000 characters of tqdm updates on one line', `${Array.from({ length: 130 }, (_, i) => update(i)).join(' ')}${TAIL}`],
  ['a 10,000-character Keras 2 bar', `1/469 [${'='.repeat(9990)}>] - ETA: 0s -${TAIL}`],
  ['10,000 characters of name_with_underscores', `${'a_'.repeat(5000)}${TAIL}`],
  ['10,000 characters of path segments', `${'/a'.repeat(5000)}${TAIL}`],
  ['10,000 characters of dotted digits', `${'1.'.repeat(5000)}${TAIL}`],
  ['10,000 characters of spaces', `Epoch 1${' '.repeat(10000)}${TAIL}`],
];
for (const [label, line] of longLines) {
  const started = performance.now();
  const { tokens } = logGrammar.tokenizeLine(line, null);
  const milliseconds = performance.now() - started;
  const at = (index) => tokens.find((t) => t.startIndex <= index && index < t.endIndex)?.scopes ?? [];
  const name = line.lastIndexOf('loss=');
  const value = line.lastIndexOf('0.412');
  const ok = at(name).includes('variable.other.metric.training-log') && at(value).includes('constant.numeric.float.training-log');
  check(ok, `${label} (${line.length} characters) is tokenized to its end`, `the last loss=0.412 has ${at(name).join(' ')} / ${at(value).join(' ')}`);
  console.log(`  ${label}: ${line.length} characters, ${tokens.length} tokens, ${milliseconds.toFixed(1)} ms`);
}

console.log(`(base grammar: ${relative(root, pythonGrammar).startsWith('..') ? pythonGrammar : relative(root, pythonGrammar)})`);
console.log(`grammar: ${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
