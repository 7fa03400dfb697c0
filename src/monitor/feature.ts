/**
 * The Training Monitor: finds runs in the workspace and follows them (the
 * registry), shows them in a panel, the active one in the status bar, warns
 * once about NaN or divergence, and starts and stops training scripts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunView, SeriesAppend, ViewToMonitor } from '../protocol/monitorView';
import { writeCsv } from './csvExport';
import { MONITOR_VIEW_TYPE, MonitorPanel, isInside, type MonitorSource } from './monitorPanel';
import { ProblemWatch } from './problems';
import { RunRegistry, type RegistryChange, type TrackedRun } from './runRegistry';
import { runView, type OwnProcess } from './runView';
import { RunStatusItem } from './statusBar';
import { registerTrainingCommands } from './training/commands';
import { findTrainingScripts } from './training/scripts';
import { TrainingRunner } from './training/trainingRunner';
import { discoverWorkspaceRuns, watchWorkspaceRuns } from './workspaceRuns';

const COLOUR_SLOTS_KEY = 'deepLearningKit.monitor.colourSlots';
const MAX_REMEMBERED_COLOURS = 500;
/** After a training script starts, look for its new run folder a few times (file events can lag). */
const LOOK_FOR_NEW_RUN_AFTER_MS = [1_000, 3_000, 8_000];

export interface TrainingMonitor {
  registry: RunRegistry;
  runner: TrainingRunner;
  /** Opens (or shows) the panel. */
  open(): MonitorPanel;
  runViews(): RunView[];
  exportCsv(runIds: string[], target?: vscode.Uri): Promise<number | undefined>;
}

export function registerMonitor(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): TrainingMonitor {
  const remembered = context.workspaceState.get<[string, number][]>(COLOUR_SLOTS_KEY, []);
  const registry = new RunRegistry({
    discover: discoverWorkspaceRuns,
    colourSlots: new Map(Array.isArray(remembered) ? remembered : []),
    onColourSlotsChanged: (slots) => void context.workspaceState.update(COLOUR_SLOTS_KEY, [...slots].slice(-MAX_REMEMBERED_COLOURS)),
    log: (line) => log.warn(line),
  });
  const runner = new TrainingRunner(log);
  const statusItem = new RunStatusItem('deepLearningKit.openTrainingMonitor');
  const problems = new ProblemWatch();
  let panel: MonitorPanel | undefined;

  /** The process started here that writes the run (its pid, or a child's with torchrun), running or ended. */
  const ownProcess = (run: TrackedRun): OwnProcess | undefined => {
    const pid = run.tracker.info.pid;
    if (pid === undefined) return undefined;
    const processes = runner.processes();
    let owner = processes.find((p) => p.id === pid);
    if (!owner) {
      const ownerId = runner.ownsPid(pid);
      owner = processes.find((p) => p.id === ownerId);
    }
    return owner && { id: owner.id, running: owner.exitCode === undefined };
  };

  const viewsOf = (runs: TrackedRun[]): { run: TrackedRun; view: RunView }[] => {
    const now = Date.now();
    return runs.map((run) => ({ run, view: runView(run.tracker, run.name, run.colour, now, ownProcess(run)) }));
  };
  const runViews = (): RunView[] => viewsOf(registry.list()).map(({ view }) => view);

  const lookForNewRun = (): void => {
    for (const delay of LOOK_FOR_NEW_RUN_AFTER_MS) setTimeout(() => void registry.refresh(), delay);
  };

  const warnAboutProblems = (change: RegistryChange): void => {
    if (!vscode.workspace.getConfiguration('deepLearningKit.monitor').get<boolean>('notifyProblems', true)) return;
    for (const [id, result] of change.polled) {
      const run = registry.get(id);
      if (!run) continue;
      for (const message of problems.check(run.name, run.tracker, result)) {
        log.warn(message);
        void vscode.window.showWarningMessage(message, 'Open Training Monitor').then((choice) => {
          if (choice) open();
        });
      }
    }
  };

  const source: MonitorSource = {
    snapshot: () => {
      const runs = registry.list();
      const series = runs.flatMap((run) => run.tracker.seriesData());
      for (const run of runs) run.tracker.markSent();
      return {
        type: 'snapshot',
        runs: viewsOf(runs).map(({ view }) => view),
        series,
        scripts: lastScripts,
        processes: runner.processes(),
        roots: (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath),
      };
    },
    runViews,
    takeAppends: () => registry.list().flatMap((run): SeriesAppend[] => run.tracker.takeAppends()),
    handle: (message) => handle(message),
  };

  let lastScripts: Awaited<ReturnType<typeof findTrainingScripts>> = [];
  const refreshScripts = async (): Promise<void> => {
    lastScripts = await findTrainingScripts();
    panel?.post({ type: 'scripts', scripts: lastScripts });
  };

  async function handle(message: ViewToMonitor): Promise<void> {
    switch (message.type) {
      case 'exportCsv':
        await exportCsv(message.runIds);
        return;
      case 'startTraining':
        await vscode.commands.executeCommand('deepLearningKit.startTraining', message.script);
        return;
      case 'stopTraining':
        return runner.stop(message.processId);
      case 'openFile': {
        const folders = registry.list().map((run) => (run.tracker.source.format === 'keras-csv' ? path.dirname(run.tracker.source.path) : run.tracker.source.path));
        if (!isInside(message.path, [...folders, ...lastScripts.map((script) => script.path)])) throw new Error(`${path.basename(message.path)} is not part of a run the monitor shows`);
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(message.path));
        return;
      }
      case 'refresh':
        await Promise.all([registry.refresh(), refreshScripts()]);
        return;
      case 'ready':
      case 'resync':
        return; // the panel answers these itself
    }
  }

  /** Writes the runs' scalars to `target`, asking where when not given; resolves with the rows written (undefined: cancelled). */
  async function exportCsv(runIds: string[], target?: vscode.Uri): Promise<number | undefined> {
    const runs = runIds.map((id) => registry.get(id)).filter((run): run is TrackedRun => run !== undefined);
    if (runs.length === 0) throw new Error('No runs to export: show at least one run.');
    const runsText = `${runs.length} run${runs.length === 1 ? '' : 's'}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    target ??= await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'training-scalars.csv') : undefined,
      filters: { CSV: ['csv'] },
      title: `Export the scalars of ${runsText}`,
    });
    if (!target) return undefined;
    const written = target;
    const rows = await writeCsv(
      written.fsPath,
      runs.map((run) => ({ name: run.name, run: run.tracker })),
    );
    void vscode.window.showInformationMessage(`Exported ${rows.toLocaleString('en-US')} points of ${runsText} to ${path.basename(written.fsPath)}.`, 'Open').then((choice) => {
      if (choice) void vscode.commands.executeCommand('vscode.open', written);
    });
    return rows;
  }

  function adopt(webviewPanel: vscode.WebviewPanel): MonitorPanel {
    const created = new MonitorPanel(webviewPanel, context.extensionUri, source, log);
    created.onDidClose(() => {
      if (panel === created) panel = undefined;
    });
    panel = created;
    registry.start();
    void refreshScripts();
    return created;
  }

  function open(): MonitorPanel {
    if (panel) {
      panel.reveal();
      return panel;
    }
    return adopt(vscode.window.createWebviewPanel(MONITOR_VIEW_TYPE, 'Training Monitor', vscode.ViewColumn.Active, { enableFindWidget: true }));
  }

  context.subscriptions.push(
    registry,
    runner,
    statusItem,
    registry.onDidChange((change) => {
      warnAboutProblems(change);
      statusItem.update(viewsOf(registry.list()));
      panel?.changed(change.runsChanged);
    }),
    runner.onDidChange(() => {
      panel?.post({ type: 'processes', processes: runner.processes() });
      panel?.changed(true);
      statusItem.update(viewsOf(registry.list()));
      void registry.refresh();
    }),
    watchWorkspaceRuns(
      (file) => registry.fileChanged(file),
      () => void registry.refresh(),
    ),
    vscode.window.registerWebviewPanelSerializer(MONITOR_VIEW_TYPE, {
      deserializeWebviewPanel: async (webviewPanel) => {
        adopt(webviewPanel);
      },
    }),
    vscode.commands.registerCommand('deepLearningKit.openTrainingMonitor', () => {
      open();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('deepLearningKit.monitor.statusBar')) statusItem.update(viewsOf(registry.list()));
    }),
    { dispose: () => panel?.dispose() },
  );
  registerTrainingCommands(context, runner, () => {
    lookForNewRun();
    open();
  });
  // Follow runs from the start, so the status bar shows a run being trained even with no panel open.
  registry.start();
  return { registry, runner, open, runViews, exportCsv };
}
