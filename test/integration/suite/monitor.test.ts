import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeepLearningKitApi } from '../../../src/extension';

const EXTENSION_ID = 'deep-learning-kit.deep-learning-kit';

function workspacePath(...parts: string[]): string {
  const root = process.env['DLKIT_TEST_WORKSPACE'];
  assert.ok(root, 'DLKIT_TEST_WORKSPACE is not set');
  return path.join(root, ...parts);
}

async function api(): Promise<DeepLearningKitApi> {
  const extension = vscode.extensions.getExtension<DeepLearningKitApi>(EXTENSION_ID);
  assert.ok(extension);
  return extension.activate();
}

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

function pidGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

describe('training monitor', function () {
  this.timeout(120_000);

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('finds the demo runs through the workspace search, with their points', async () => {
    const { monitor } = await api();
    await monitor.registry.refresh();
    const names = monitor.registry.list().map((run) => run.name);
    for (const name of ['runs/cnn-baseline', 'runs/cnn-wider', 'logs/keras_csvlogger/training.log', 'lightning_logs/version_0']) assert.ok(names.includes(name), `runs: ${names.join(', ')}`);
    const baseline = monitor.registry.get(workspacePath('runs', 'cnn-baseline'));
    assert.ok(baseline);
    const lines = readFileSync(workspacePath('runs', 'cnn-baseline', 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { split: string });
    const trainLoss = [...baseline.tracker.series.values()].find((series) => series.metric === 'loss' && series.split === 'train');
    assert.equal(trainLoss?.columns.length, lines.filter((line) => line.split === 'train').length);
    const view = monitor.runViews().find((run) => run.id === baseline.tracker.id);
    assert.equal(view?.status, 'finished');
    assert.equal(view?.hparams['lr'], 0.003);
  });

  it('exports every point of the chosen runs to CSV', async () => {
    const { monitor } = await api();
    await monitor.registry.refresh();
    const ids = [workspacePath('runs', 'cnn-baseline'), workspacePath('lightning_logs', 'version_0')];
    const points = ids.map((id) => monitor.registry.get(id)?.tracker.pointCount ?? 0);
    assert.ok(points.every((count) => count > 0), `points: ${points.join(', ')}`);
    const target = vscode.Uri.file(workspacePath('exported-scalars.csv'));
    const rows = await monitor.exportCsv(ids, target);
    const lines = readFileSync(target.fsPath, 'utf8').trimEnd().split('\n');
    assert.equal(rows, points[0]! + points[1]!);
    assert.equal(lines.length, 1 + rows!);
    assert.equal(lines[0], 'run,tag,metric,split,step,epoch,wall_time,value');
    assert.ok(lines.some((line) => line.startsWith('runs/cnn-baseline,loss,loss,val,64,1,')), 'a val row of the run log');
    assert.ok(lines.some((line) => line.startsWith('lightning_logs/version_0,')), 'rows of the Lightning run');
  });

  it('opens one Training Monitor panel, and the command shows it again', async () => {
    await vscode.commands.executeCommand('deepLearningKit.openTrainingMonitor');
    const isMonitor = (tab: vscode.Tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('deepLearningKit.trainingMonitor');
    await until('the monitor tab', () => vscode.window.tabGroups.all.flatMap((group) => group.tabs).find(isMonitor));
    await vscode.commands.executeCommand('deepLearningKit.openTrainingMonitor');
    await new Promise((done) => setTimeout(done, 500));
    assert.equal(vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter(isMonitor).length, 1);
  });

  it('runs a training script, follows its run, and Stop ends the whole process tree', async () => {
    const { monitor } = await api();
    const project = workspacePath('integration_train');
    mkdirSync(project, { recursive: true });
    // A training script in the run-log format that also starts a worker process (as DataLoader
    // workers do) and trains until stopped.
    writeFileSync(
      path.join(project, 'train.py'),
      String.raw`
import json, os, subprocess, sys, time
from pathlib import Path
run = Path("runs/integration")
run.mkdir(parents=True, exist_ok=True)
worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
(run / "run.json").write_text(json.dumps({"name": "integration", "status": "running", "started": time.time(), "planned_steps": 100000, "pid": os.getpid(), "worker": worker.pid}))
with open(run / "metrics.jsonl", "w") as log:
    step = 0
    while True:
        step += 1
        log.write(json.dumps({"step": step, "epoch": 1, "split": "train", "time": time.time(), "loss": 1.0 / step}) + "\n")
        log.flush()
        print(f"step {step}: loss {1.0 / step:.4f}", flush=True)
        time.sleep(0.05)
`,
    );
    const started = await monitor.runner.start(path.join(project, 'train.py'));
    const runId = path.join(project, 'runs', 'integration');
    const view = await until('the run to show as running with its process', () => monitor.runViews().find((run) => run.id === runId && run.status === 'running' && run.processId === started.id));
    assert.ok((view.step ?? 0) > 0);
    const worker = (JSON.parse(readFileSync(path.join(runId, 'run.json'), 'utf8')) as { worker: number }).worker;
    assert.equal(pidGone(worker), false, 'the worker runs');

    await monitor.runner.stop(started.id);
    assert.ok(pidGone(started.id), 'the training process ended');
    await until('the worker process to end', () => pidGone(worker), 10_000);
    const ended = await until('the run to stop', () => monitor.runViews().find((run) => run.id === runId && run.status === 'stopped'));
    assert.equal(ended.processId, undefined);
    const process = monitor.runner.processes().find((p) => p.id === started.id);
    assert.ok(process && process.exitCode !== undefined, 'the process list says it ended');
  });
});
