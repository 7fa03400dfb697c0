/**
 * The scaffolding commands: "New Project…", one "New <Architecture> Project…"
 * per architecture and "Add Model to File…". The questions live in wizard.ts;
 * here they get vscode's quick input, and the answers are written, shown and
 * revealed.
 *
 * Every command takes an optional argument object (NewProjectArgs): what it
 * answers is not asked, and neither is what has a default (dataset, name).
 * Called with one (by tests or other extensions), a problem rejects the call
 * with its message; called from the UI, the message is shown and the command
 * returns undefined, as it does when the user cancels.
 *
 * Writing files runs nothing, so the commands work in untrusted workspaces too.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CATALOG, type Architecture, type Style } from './catalog';
import { ScaffoldError, generateProject, type ScaffoldOptions, type TemplateSource } from './generate';
import { templatesOnDisk } from './templateFiles';
import { BACK, modelInsertion, pickModel, planNewProject, type Answer, type InputRequest, type NewProjectArgs, type PickRequest, type ProjectPlan, type Prompts, type WizardEnvironment } from './wizard';
import { writeProject } from './write';

export interface NewProjectResult {
  /** The project folder (a file system path). */
  folder: string;
  /** The files written, relative to `folder`. */
  files: string[];
  options: Required<ScaffoldOptions>;
}

export interface AddModelResult {
  /** The document the model went into. */
  uri: string;
  /** The line the inserted text starts on (0-based). */
  line: number;
  text: string;
  architecture: Architecture;
  style: Style;
}

const ARCHITECTURE_COMMANDS: Record<Architecture, string> = {
  cnn: 'deepLearningKit.newCnnProject',
  rnn: 'deepLearningKit.newRnnProject',
  gan: 'deepLearningKit.newGanProject',
  transformer: 'deepLearningKit.newTransformerProject',
  autoencoder: 'deepLearningKit.newAutoencoderProject',
};

/** The command argument as NewProjectArgs; a Uri (an explorer folder) is the parent folder. */
function toArgs(arg: unknown): NewProjectArgs {
  if (arg === undefined || arg === null) return {};
  if (arg instanceof vscode.Uri) return { parentFolder: arg.fsPath };
  if (typeof arg !== 'object') throw new ScaffoldError(`Expected an object of options, got ${typeof arg}.`);
  const raw = arg as Record<string, unknown>;
  const args: NewProjectArgs = {};
  for (const key of ['architecture', 'style', 'dataset', 'name'] as const) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new ScaffoldError(`"${key}" must be a string.`);
    args[key] = value;
  }
  const parent = raw['parentFolder'];
  if (parent instanceof vscode.Uri) args.parentFolder = parent.fsPath;
  else if (typeof parent === 'string') args.parentFolder = parent;
  else if (parent !== undefined) throw new ScaffoldError('"parentFolder" must be a path or a Uri.');
  if (raw['overwrite'] !== undefined) args.overwrite = raw['overwrite'] === true;
  return args;
}

/** True when the argument came from a UI gesture rather than a caller that reads the result. */
function fromUi(arg: unknown): boolean {
  return arg === undefined || arg === null || arg instanceof vscode.Uri;
}

function quickPick<T>(request: PickRequest<T>): Promise<Answer<T>> {
  return new Promise((resolve) => {
    const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { value: T }>();
    pick.title = request.title;
    pick.step = request.step;
    pick.totalSteps = request.totalSteps;
    pick.placeholder = request.placeholder;
    pick.matchOnDescription = true;
    pick.matchOnDetail = true;
    pick.items = request.items;
    const active = pick.items.find((item) => item.value === request.active);
    if (active) pick.activeItems = [active];
    if (request.canGoBack) pick.buttons = [vscode.QuickInputButtons.Back];
    let settled = false;
    const finish = (answer: Answer<T>): void => {
      if (settled) return;
      settled = true;
      resolve(answer);
      pick.dispose();
    };
    pick.onDidTriggerButton((button) => {
      if (button === vscode.QuickInputButtons.Back) finish(BACK);
    });
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0] ?? pick.activeItems[0];
      if (item) finish(item.value);
    });
    pick.onDidHide(() => finish(undefined));
    pick.show();
  });
}

function inputBox(request: InputRequest): Promise<Answer<string>> {
  return new Promise((resolve) => {
    const box = vscode.window.createInputBox();
    box.title = request.title;
    box.step = request.step;
    box.totalSteps = request.totalSteps;
    box.prompt = request.prompt;
    box.value = request.value;
    if (request.canGoBack) box.buttons = [vscode.QuickInputButtons.Back];
    const validate = (value: string): boolean => {
      const result = request.validate(value);
      box.validationMessage = result && {
        message: result.message,
        severity: result.severity === 'error' ? vscode.InputBoxValidationSeverity.Error : vscode.InputBoxValidationSeverity.Warning,
      };
      return result?.severity !== 'error';
    };
    validate(box.value);
    let settled = false;
    const finish = (answer: Answer<string>): void => {
      if (settled) return;
      settled = true;
      resolve(answer);
      box.dispose();
    };
    box.onDidChangeValue(validate);
    box.onDidTriggerButton((button) => {
      if (button === vscode.QuickInputButtons.Back) finish(BACK);
    });
    box.onDidAccept(() => {
      if (validate(box.value)) finish(box.value);
    });
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}

const prompts: Prompts = {
  pick: quickPick,
  input: inputBox,
  async browseFolder(defaultFolder) {
    const chosen = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Create Project Here',
      title: 'The folder to create the project folder in',
      ...(defaultFolder ? { defaultUri: vscode.Uri.file(defaultFolder) } : {}),
    });
    return chosen?.[0]?.fsPath;
  },
  async confirmReplace(folder, clashes) {
    const shown = clashes.length > 8 ? [...clashes.slice(0, 8), `… and ${clashes.length - 8} more`] : clashes;
    const answer = await vscode.window.showWarningMessage(
      `${path.basename(folder)} already has files the new project would replace. Replace them?`,
      { modal: true, detail: `${folder}\n\n${shown.join('\n')}` },
      'Replace',
    );
    return answer === 'Replace';
  },
};

function workspaceFolders(): Array<{ name: string; path: string }> {
  return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => ({ name: folder.name, path: folder.uri.fsPath }));
}

/** Opens the README as a Markdown preview, or as text when the preview is not available. */
async function showReadme(readme: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('markdown.showPreview', readme);
  } catch {
    await vscode.window.showTextDocument(readme, { preview: false });
  }
}

async function createProject(plan: ProjectPlan, log: vscode.LogOutputChannel): Promise<NewProjectResult> {
  const { name } = plan.options;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating ${name}…` }, () =>
    writeProject(plan.folder, plan.files, { overwrite: plan.overwrite }),
  );
  log.info(`scaffold: wrote ${plan.files.length} files of a ${plan.options.style} ${plan.options.architecture} project to ${plan.folder}`);
  const folder = vscode.Uri.file(plan.folder);
  if (vscode.workspace.getWorkspaceFolder(folder)) {
    await vscode.commands.executeCommand('revealInExplorer', folder);
  } else {
    void vscode.window
      .showInformationMessage(`Created ${name} in ${path.dirname(plan.folder)}, outside this workspace.`, 'Open Folder', 'Add to Workspace')
      .then((choice) => {
        if (choice === 'Open Folder') void vscode.commands.executeCommand('vscode.openFolder', folder);
        if (choice === 'Add to Workspace') vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders?.length ?? 0, 0, { uri: folder });
      });
  }
  if (plan.files.some((file) => file.path === 'README.md')) await showReadme(vscode.Uri.joinPath(folder, 'README.md'));
  return { folder: plan.folder, files: plan.files.map((file) => file.path), options: plan.options };
}

export function registerScaffold(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  const templates: TemplateSource = templatesOnDisk(path.join(context.extensionPath, 'dist', 'templates'));
  const environment = (): WizardEnvironment => ({ templates, workspaceFolders: workspaceFolders() });

  const newProject = async (arg: unknown, architecture?: Architecture): Promise<NewProjectResult | undefined> => {
    const args = toArgs(arg);
    const title = architecture ? `New ${CATALOG[architecture].title} Project` : 'New Deep Learning Project';
    // A caller that passes options gets the defaults for what it leaves out; the palette asks everything.
    const quick = architecture !== undefined || !fromUi(arg);
    const plan = await planNewProject(architecture ? { ...args, architecture } : args, prompts, environment(), { title, quick });
    return plan && createProject(plan, log);
  };

  const addModelToFile = async (arg: unknown): Promise<AddModelResult | undefined> => {
    const args = toArgs(arg);
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'python') {
      throw new ScaffoldError('Add Model to File inserts a model at the cursor of a Python editor: open a Python file first.');
    }
    const choice = await pickModel(args, prompts, templates);
    if (!choice) return undefined;
    const model = generateProject({ ...choice, name: `${choice.architecture}_${choice.style}` }, templates).find((file) => file.path === 'model.py');
    if (!model) throw new ScaffoldError(`The ${choice.style} ${choice.architecture} project has no model.py.`);
    const { document, selection } = editor;
    let text = modelInsertion(model.content, document.getText());
    // Start on a line of its own.
    if (document.lineAt(selection.start.line).text.slice(0, selection.start.character).trim() !== '') text = '\n' + text;
    if (!(await editor.edit((edit) => edit.replace(selection, text)))) throw new ScaffoldError('The editor did not take the model.');
    return { uri: document.uri.toString(), line: selection.start.line, text, ...choice };
  };

  const commands: Record<string, (arg?: unknown) => Promise<unknown>> = {
    'deepLearningKit.newProject': (arg) => newProject(arg),
    'deepLearningKit.addModelToFile': addModelToFile,
  };
  for (const [architecture, id] of Object.entries(ARCHITECTURE_COMMANDS) as Array<[Architecture, string]>) {
    commands[id] = (arg) => newProject(arg, architecture);
  }

  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (arg?: unknown) => {
        try {
          return await handler(arg);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          log.error(`${id}: ${message}`);
          if (!fromUi(arg)) throw error;
          void vscode.window.showErrorMessage(message);
          return undefined;
        }
      }),
    );
  }
}
