/**
 * Training processes (src/monitor/training): output split into lines (tqdm's
 * `\r` redraws, chunks cut anywhere, control sequences, endless lines), real
 * Python processes started, their exit codes and signals, whole process trees
 * ended with SIGTERM or, when they ignore it, SIGKILL; the Python extension's
 * API read whatever its shape; and a scaffolded project's train.py run with
 * --smoke, its run.json naming the process that was started.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BatchedLines } from '../../src/monitor/training/batchedLines';
import { commandFromPythonExtension, defaultPythonCommand, expandInterpreterSetting } from '../../src/monitor/training/interpreterChoice';
import { LineSplitter, stripControlSequences } from '../../src/monitor/training/outputLines';
import { ancestorAmong, isProcessAlive, killTree, ProcessStartError, startProcess, type OutputStream, type StartedProcess } from '../../src/monitor/training/processTree';
import { footerLine, formatDuration, headerLine, startFailureMessage, type Interpreter } from '../../src/monitor/training/runnerText';
import { generateProject } from '../../src/scaffold/generate';
import { templatesOnDisk } from '../../src/scaffold/templateFiles';
import { writeProject } from '../../src/scaffold/write';

const PYTHON = '/usr/bin/python3';
const root = process.cwd();

function split(chunks: string[], options: { progressIntervalMs?: number; maxLineLength?: number; clock?: () => number } = {}): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter({
    onLine: (line) => lines.push(line),
    ...(options.progressIntervalMs !== undefined ? { progressIntervalMs: options.progressIntervalMs } : {}),
    ...(options.maxLineLength !== undefined ? { maxLineLength: options.maxLineLength } : {}),
    ...(options.clock ? { now: options.clock } : {}),
  });
  for (const chunk of chunks) splitter.feed(chunk);
  splitter.end();
  return lines;
}

/** A tqdm-like bar: `\r` then the state, `steps` times, then `\n`. */
function progressBar(steps: number): string {
  let text = '';
  for (let step = 0; step <= steps; step++) text += `\r${Math.round((100 * step) / steps)}%|${'#'.repeat(Math.round((10 * step) / steps)).padEnd(10)}| ${step}/${steps}`;
  return text + '\n';
}

/** Cuts text into chunks of the given sizes, cycling. */
function chunked(text: string, sizes: number[]): string[] {
  const chunks: string[] = [];
  for (let index = 0, turn = 0; index < text.length; turn++) {
    const size = sizes[turn % sizes.length] ?? 1;
    chunks.push(text.slice(index, index + size));
    index += size;
  }
  return chunks;
}

describe('LineSplitter', () => {
  it('joins lines cut across chunks, with \\n and \\r\\n endings (also split between chunks)', () => {
    assert.deepEqual(split(['ep', 'och 1\nepoch', ' 2\r', '\nepoch 3\r\n', 'done']), ['epoch 1', 'epoch 2', 'epoch 3', 'done']);
  });

  it('keeps empty lines and a last line without a newline', () => {
    assert.deepEqual(split(['a\n\n\nb']), ['a', '', '', 'b']);
    assert.deepEqual(split(['a\n']), ['a']);
    assert.deepEqual(split([]), []);
  });

  it('gives a progress bar of 5000 redraws as one line, its final state, however the chunks fall', () => {
    const bar = progressBar(5000);
    const expected = ['start', '100%|##########| 5000/5000', 'end'];
    for (const sizes of [[bar.length + 20], [1], [7, 3, 1, 64], [4096]]) {
      assert.deepEqual(split(chunked(`start\n${bar}end\n`, sizes)), expected, `chunk sizes ${sizes.join(',')}`);
    }
  });

  it('adds one snapshot per interval while a bar keeps redrawing', () => {
    let now = 0;
    const lines: string[] = [];
    const splitter = new LineSplitter({ onLine: (line) => lines.push(line), progressIntervalMs: 5000, now: () => now });
    // 1000 redraws 20 ms apart: 20 s of progress.
    for (let step = 0; step <= 1000; step++) {
      splitter.feed(`\rstep ${step}`);
      now += 20;
    }
    splitter.feed('\n');
    // The interval starts at the first redraw; a snapshot is the state shown when an interval has passed
    // (step 249 until the redraw at 5000 ms), and the line's final state follows at its \n.
    assert.deepEqual(lines, ['step 249', 'step 499', 'step 749', 'step 999', 'step 1000']);
  });

  it('gives a bar cut off by the end of the stream once, without repeating its last snapshot', () => {
    let now = 0;
    const lines: string[] = [];
    const splitter = new LineSplitter({ onLine: (line) => lines.push(line), progressIntervalMs: 100, now: () => now });
    splitter.feed('\r10%\r20%');
    now = 200;
    splitter.feed('\r30%\r');
    splitter.end();
    assert.deepEqual(lines, ['20%', '30%']);
    assert.deepEqual(split(['\r10%\r20%\r']), ['20%']);
    assert.deepEqual(split(['\r10%\r20%']), ['20%']);
  });

  it('drops colours, cursor moves and other control characters but keeps tabs and text', () => {
    assert.equal(stripControlSequences('\x1b[32mloss\x1b[0m\t0.5\x1b[A\x1b]0;title\x07\x08!'), 'loss\t0.5!');
    assert.deepEqual(split(['\x1b[1mEpoch\x1b[', '0m 1\n']), ['Epoch 1']);
  });

  it('cuts an endless line into bounded parts', () => {
    const lines = split(chunked('x'.repeat(100_000), [3000]), { maxLineLength: 4096 });
    assert.equal(lines.join(''), 'x'.repeat(100_000));
    assert.ok(lines.every((line) => line.length <= 4096));
    assert.equal(lines.length, Math.ceil(100_000 / 4096));
    // A bar that never ends its line stays bounded too: only the text since the last \r is kept.
    const redraws = split([progressBar(20_000).slice(0, -1)], { maxLineLength: 64 });
    assert.deepEqual(redraws, ['100%|##########| 20000/20000']);
  });
});

describe('BatchedLines', () => {
  it('hands lines on as one text per batch, at once past the size bound, and none after close', () => {
    const batches: string[] = [];
    const lines = new BatchedLines((text) => batches.push(text), 60_000, 20);
    lines.line('one');
    lines.line('two');
    assert.deepEqual(batches, []);
    lines.flush();
    assert.deepEqual(batches, ['one\ntwo\n']);
    lines.line('a long line of 25 chars.');
    assert.deepEqual(batches, ['one\ntwo\n', 'a long line of 25 chars.\n']);
    lines.line('last');
    lines.close();
    lines.line('dropped');
    lines.flush();
    assert.deepEqual(batches, ['one\ntwo\n', 'a long line of 25 chars.\n', 'last\n']);
  });

  it('hands a batch on by itself after the delay', async () => {
    const batches: string[] = [];
    const lines = new BatchedLines((text) => batches.push(text), 5);
    lines.line('later');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(batches, ['later\n']);
  });
});

// ---- real processes ----

/** Gone: no such process, or a zombie (exited, not yet reaped by an init that does not reap). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

interface Run {
  process: StartedProcess;
  lines: Array<{ line: string; stream: OutputStream }>;
  /** Resolves with the first line that matches. */
  waitFor(pattern: RegExp): Promise<string>;
}

const started: number[] = [];

async function run(code: string, args: string[] = [], cwd = tmpdir()): Promise<Run> {
  const lines: Run['lines'] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const processHandle = await startProcess({
    command: PYTHON,
    args: ['-u', '-c', code, ...args],
    cwd,
    env: { DLKIT_TEST: 'yes' },
    onLine: (line, stream) => {
      lines.push({ line, stream });
      for (const waiter of waiters.filter((candidate) => candidate.pattern.test(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    },
  });
  started.push(processHandle.pid);
  return {
    process: processHandle,
    lines,
    waitFor: (pattern) => {
      const seen = lines.find((entry) => pattern.test(entry.line));
      if (seen) return Promise.resolve(seen.line);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

/** A Python program that starts a child (`sleep` for a minute) in its process group and prints both pids. */
const PARENT_WITH_CHILD = `
import os, subprocess, sys, time, signal
if sys.argv[1:] == ['ignore-term']:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, '-c', 'import signal, sys, time\\nif sys.argv[1:] == ["ignore-term"]: signal.signal(signal.SIGTERM, signal.SIG_IGN)\\ntime.sleep(60)'] + sys.argv[1:])
print('pids', os.getpid(), child.pid)
time.sleep(60)
`;

describe('startProcess and killTree (real processes)', function () {
  this.timeout(30_000);

  after(async () => {
    // Whatever a failed test left running.
    await Promise.all(started.map((pid) => killTree(pid, { graceMs: 100 })));
  });

  it('streams stdout and stderr as lines and reports the exit code', async () => {
    const { process: child, lines } = await run(
      "import os, sys\nprint('out', os.environ['DLKIT_TEST'], 'PATH' in os.environ)\nprint('err line', file=sys.stderr)\nsys.stdout.write('no newline')\nsys.exit(3)",
    );
    assert.deepEqual(await child.exited, { code: 3, signal: null });
    assert.deepEqual(
      lines.filter((entry) => entry.stream === 'stdout').map((entry) => entry.line),
      ['out yes True', 'no newline'],
    );
    assert.deepEqual(lines.filter((entry) => entry.stream === 'stderr').map((entry) => entry.line), ['err line']);
  });

  it('splits a real process\'s progress bar (written in many flushes) into one line', async () => {
    const code = "import sys\nfor i in range(2001):\n    sys.stderr.write('\\r%d/2000' % i); sys.stderr.flush()\nsys.stderr.write('\\n')\nprint('done')";
    const { process: child, lines } = await run(code);
    assert.deepEqual(await child.exited, { code: 0, signal: null });
    assert.deepEqual(
      lines.map((entry) => entry.line),
      ['2000/2000', 'done'],
    );
  });

  it('rejects with ENOENT, and a message naming the interpreter and how to choose another, for a missing interpreter', async () => {
    const missing = path.join(tmpdir(), 'no-such-python-dlkit', 'python3');
    const error = await startProcess({ command: missing, args: ['-u', 'train.py'], cwd: tmpdir(), onLine: () => undefined }).then(
      () => assert.fail('started'),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof ProcessStartError);
    assert.equal(error.code, 'ENOENT');
    const message = startFailureMessage({ command: missing, prefixArgs: [], source: 'setting' }, error.code, error.message);
    assert.match(message, new RegExp(`"${missing.replace(/[/\\]/g, '.')}" \\(from: setting\\) was not found`));
    assert.match(message, /Python: Select Interpreter/);
    assert.match(message, /deepLearningKit\.training\.pythonPath/);
  });

  it('ends a process and the child it started with SIGTERM', async () => {
    const parent = await run(PARENT_WITH_CHILD);
    const [, mainPid, childPid] = (await parent.waitFor(/^pids /)).split(' ').map(Number);
    assert.equal(mainPid, parent.process.pid);
    assert.ok(childPid !== undefined && !isGone(childPid) && !isGone(parent.process.pid));
    assert.equal(ancestorAmong(childPid, new Set([parent.process.pid])), parent.process.pid);
    assert.equal(ancestorAmong(process.pid, new Set([parent.process.pid])), undefined);

    assert.equal(await killTree(parent.process.pid, { graceMs: 10_000 }), 'terminated');
    assert.deepEqual(await parent.process.exited, { code: null, signal: 'SIGTERM' });
    assert.ok(isGone(parent.process.pid), 'the main process is gone');
    assert.ok(isGone(childPid), 'its child is gone');
    assert.equal(isProcessAlive(childPid), false);
  });

  it('kills a tree that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const parent = await run(PARENT_WITH_CHILD, ['ignore-term']);
    const [, , childPid] = (await parent.waitFor(/^pids /)).split(' ').map(Number);
    assert.ok(childPid !== undefined);
    assert.equal(await killTree(parent.process.pid, { graceMs: 300 }), 'killed');
    assert.deepEqual(await parent.process.exited, { code: null, signal: 'SIGKILL' });
    assert.ok(isGone(parent.process.pid) && isGone(childPid));
  });

  it('ends what is left of a tree whose main process has exited, and survives a tree that is gone', async () => {
    // The main process exits at once; its child keeps running in the process group.
    const parent = await run("import os, subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\nprint('child', child.pid)\nos._exit(0)");
    const childPid = Number((await parent.waitFor(/^child /)).split(' ')[1]);
    assert.deepEqual(await parent.process.exited, { code: 0, signal: null });
    assert.ok(!isGone(childPid));
    assert.equal(await killTree(parent.process.pid, { graceMs: 10_000 }), 'terminated');
    assert.ok(isGone(childPid));
    assert.equal(await killTree(parent.process.pid), 'gone');
  });

  it('counts a zombie (exited, not reaped) as not alive', async () => {
    // The child exits at once; its parent never waits for it.
    const parent = await run("import subprocess, sys, time\nchild = subprocess.Popen([sys.executable, '-c', 'pass'])\nprint('child', child.pid)\ntime.sleep(60)");
    const childPid = Number((await parent.waitFor(/^child /)).split(' ')[1]);
    for (let tries = 0; tries < 200 && isProcessAlive(childPid); tries++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(isProcessAlive(childPid), false);
    // kill(pid, 0) alone still answers for it: the zombie exists until its parent reaps it.
    assert.doesNotThrow(() => process.kill(childPid, 0));
    await killTree(parent.process.pid, { graceMs: 5000 });
  });

  it('stops walking up at the depth bound and at pid 1', () => {
    const parents = new Map<number, number>([[10, 11], [11, 12], [12, 1]]);
    assert.equal(ancestorAmong(10, new Set([12]), (pid) => parents.get(pid)), 12);
    assert.equal(ancestorAmong(10, new Set([1]), (pid) => parents.get(pid)), undefined);
    // A cycle (pids reused while walking) ends.
    assert.equal(ancestorAmong(20, new Set([99]), (pid) => (pid === 20 ? 21 : 20)), undefined);
  });
});

describe('a scaffolded project\'s train.py --smoke', function () {
  this.timeout(180_000);
  let folder: string;

  before(async () => {
    folder = mkdtempSync(path.join(tmpdir(), 'dlkit-training-'));
    const files = generateProject({ architecture: 'cnn', style: 'pytorch', name: 'smoke_cnn' }, templatesOnDisk(path.join(root, 'src', 'scaffold', 'templates')));
    await writeProject(path.join(folder, 'smoke_cnn'), files);
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('runs in its folder, exits 0 and writes a run log whose run.json named the process started while it ran', async () => {
    const project = path.join(folder, 'smoke_cnn');
    const lines: string[] = [];
    const child = await startProcess({
      command: PYTHON,
      args: ['-u', 'train.py', '--smoke'],
      cwd: project,
      env: { PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', OMP_NUM_THREADS: '1' },
      onLine: (line) => lines.push(line),
    });
    started.push(child.pid);
    let exited = false;
    const exit = child.exited.finally(() => (exited = true));
    const pidsSeen = new Set<unknown>();
    while (!exited) {
      for (const run of readdirSync(project).includes('runs') ? readdirSync(path.join(project, 'runs')) : []) {
        try {
          pidsSeen.add((JSON.parse(readFileSync(path.join(project, 'runs', run, 'run.json'), 'utf8')) as Record<string, unknown>)['pid']);
        } catch {
          // Not written yet.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(await exit, { code: 0, signal: null }, lines.join('\n'));
    assert.ok(pidsSeen.has(child.pid), `run.json named ${[...pidsSeen].join(', ')}, not ${child.pid}`);
    const runs = readdirSync(path.join(project, 'runs'));
    assert.equal(runs.length, 1);
    const runFolder = path.join(project, 'runs', runs[0] ?? '');
    const runJson = JSON.parse(readFileSync(path.join(runFolder, 'run.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(runJson['status'], 'finished');
    assert.ok(readFileSync(path.join(runFolder, 'metrics.jsonl'), 'utf8').trim().split('\n').length > 2);
    assert.ok(lines.length > 0);
  });
});

describe('interpreter choice', () => {
  const resource = { fsPath: '/work/project/train.py' };

  it('takes the executable of the active environment (the current API)', async () => {
    const calls: unknown[] = [];
    const api = {
      ready: Promise.resolve(),
      environments: {
        getActiveEnvironmentPath(r: unknown) {
          calls.push(r);
          return { id: 'venv', path: '/work/project/.venv' };
        },
        async resolveEnvironment(environment: { path: string }) {
          calls.push(environment.path);
          return { executable: { uri: { fsPath: '/work/project/.venv/bin/python' } } };
        },
      },
    };
    assert.deepEqual(await commandFromPythonExtension(api, resource), { command: ['/work/project/.venv/bin/python'] });
    assert.deepEqual(calls, [resource, '/work/project/.venv']);
  });

  it('falls back to settings.getExecutionDetails (older versions), keeping a multi-word command', async () => {
    const api = {
      environments: {
        getActiveEnvironmentPath: () => ({ id: 'x', path: '/envs/x' }),
        resolveEnvironment: () => Promise.reject(new Error('cannot resolve')),
      },
      settings: { getExecutionDetails: () => ({ execCommand: ['conda', 'run', '-n', 'ml', 'python'] }) },
    };
    assert.deepEqual(await commandFromPythonExtension(api, resource), { command: ['conda', 'run', '-n', 'ml', 'python'] });
    assert.deepEqual(await commandFromPythonExtension({ settings: { getExecutionDetails: () => ({ execCommand: ['/usr/bin/python3'] }) } }, resource), {
      command: ['/usr/bin/python3'],
    });
  });

  it('reports why instead of throwing when the API is missing, odd or failing', async () => {
    const answers = await Promise.all([
      commandFromPythonExtension(undefined, resource),
      commandFromPythonExtension({}, resource),
      commandFromPythonExtension({ ready: Promise.reject(new Error('broken')) }, resource),
      commandFromPythonExtension({ environments: { getActiveEnvironmentPath: () => undefined, resolveEnvironment: () => undefined } }, resource),
      commandFromPythonExtension(
        { environments: { getActiveEnvironmentPath: () => ({ path: '/envs/y' }), resolveEnvironment: async () => ({ executable: { uri: undefined } }) } },
        resource,
      ),
      commandFromPythonExtension({ settings: { getExecutionDetails: () => { throw new Error('no workspace'); } } }, resource),
      commandFromPythonExtension({ settings: { getExecutionDetails: () => ({ execCommand: undefined }) } }, resource),
    ]);
    const problems = answers.map((answer) => ('problem' in answer ? answer.problem : `command ${answer.command.join(' ')}`));
    assert.deepEqual(problems, [
      'it exports no API',
      'its API has neither environments nor settings',
      'it did not get ready: broken',
      'it has no active environment',
      'its active environment /envs/y has no executable',
      'settings.getExecutionDetails failed: no workspace',
      'it gave no execution command',
    ]);
  });

  it('expands the pythonPath setting and knows the default per platform', () => {
    assert.equal(expandInterpreterSetting(' ~/envs/ml/bin/python ', '/home/me', '/work'), '/home/me/envs/ml/bin/python');
    assert.equal(expandInterpreterSetting('${workspaceFolder}/.venv/bin/python', '/home/me', '/work'), '/work/.venv/bin/python');
    assert.equal(expandInterpreterSetting('.venv/bin/python', '/home/me', '/work'), path.join('/work', '.venv/bin/python'));
    assert.equal(expandInterpreterSetting('python3.11', '/home/me', '/work'), 'python3.11');
    assert.equal(expandInterpreterSetting('/opt/py/bin/python', '/home/me', undefined), '/opt/py/bin/python');
    assert.equal(defaultPythonCommand('linux'), 'python3');
    assert.equal(defaultPythonCommand('darwin'), 'python3');
    assert.equal(defaultPythonCommand('win32'), 'python');
  });
});

describe('output channel text', () => {
  const interpreter: Interpreter = { command: '/usr/bin/python3', prefixArgs: [], source: 'python extension' };

  it('opens a run with the command and where the interpreter came from', () => {
    assert.equal(headerLine(interpreter, ['-u', 'train.py', '--smoke']), '▶ python3 -u train.py --smoke  (interpreter: /usr/bin/python3, from: python extension)');
    assert.equal(
      headerLine({ command: 'conda', prefixArgs: ['run', '-n', 'ml', 'python'], source: 'python extension' }, ['-u', 'train.py', '--name', 'my run']),
      '▶ conda run -n ml python -u train.py --name "my run"  (interpreter: conda, from: python extension)',
    );
  });

  it('closes a run with how it ended and how long it took', () => {
    assert.equal(footerLine({ code: 0, signal: null }, 12.34, undefined), '■ exited with code 0 after 12.3 s');
    assert.equal(footerLine({ code: 1, signal: null }, 245, undefined), '■ exited with code 1 after 4 min 05 s');
    assert.equal(footerLine({ code: null, signal: 'SIGSEGV' }, 3, undefined), '■ ended by SIGSEGV after 3.0 s');
    assert.equal(footerLine({ code: null, signal: 'SIGTERM' }, 7440, 'terminated'), '■ stopped after 2 h 04 min');
    assert.equal(footerLine({ code: null, signal: 'SIGKILL' }, 6, 'killed'), '■ stopped (killed: it did not end after SIGTERM) after 6.0 s');
    assert.equal(formatDuration(59.94), '59.9 s');
    assert.equal(formatDuration(60), '1 min 00 s');
    assert.equal(formatDuration(Number.NaN), '?');
  });
});
