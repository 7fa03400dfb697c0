/**
 * The questions of "New Project…", "New <Architecture> Project…" and "Add Model
 * to File…", free of `vscode`: the UI comes in as `Prompts`, so the order of
 * the steps, their defaults, going back and the clash check are tested in
 * plain Node (test/unit/scaffoldWizard.test.ts). Answers given in the argument
 * object skip their step.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURES, CATALOG, STYLES, STYLE_INFO, isArchitecture, isStyle, type Architecture, type Style } from './catalog';
import { ScaffoldError, checkProjectName, generateProject, type GeneratedFile, type ScaffoldOptions, type TemplateSource } from './generate';
import { existingFiles } from './write';

/** What the commands accept instead of asking: every field is optional. */
export interface NewProjectArgs {
  architecture?: string;
  style?: string;
  dataset?: string;
  /** The folder the project folder is created in (absolute, or relative to the first workspace folder). */
  parentFolder?: string;
  name?: string;
  /** Replace files that already exist. Without it a clash is asked about, or refused when `name` was given. */
  overwrite?: boolean;
}

/** The "Back" button of a multi-step input. */
export const BACK = Symbol('back');
/** A step's answer: the value, `undefined` when the user cancelled, or BACK. */
export type Answer<T> = T | undefined | typeof BACK;

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

interface Step {
  title: string;
  /** 1-based position among the steps actually asked. */
  step: number;
  totalSteps: number;
  canGoBack: boolean;
}

export interface PickRequest<T> extends Step {
  placeholder: string;
  items: PickItem<T>[];
  /** The item to highlight (the previous answer when coming back). */
  active?: T;
}

export interface Validation {
  message: string;
  /** An error blocks accepting the value; a warning does not. */
  severity: 'error' | 'warning';
}

export interface InputRequest extends Step {
  prompt: string;
  value: string;
  validate(value: string): Validation | undefined;
}

/** The UI the wizard drives: vscode's quick input in the extension, a script in tests. */
export interface Prompts {
  pick<T>(request: PickRequest<T>): Promise<Answer<T>>;
  input(request: InputRequest): Promise<Answer<string>>;
  /** An open-folder dialog; undefined when dismissed. */
  browseFolder(defaultFolder: string | undefined): Promise<string | undefined>;
  /** The modal "Replace"/"Cancel" question; true to replace. */
  confirmReplace(folder: string, clashes: string[]): Promise<boolean>;
}

export interface WizardEnvironment {
  templates: TemplateSource;
  workspaceFolders: ReadonlyArray<{ name: string; path: string }>;
}

/** What to write, once every question is answered. */
export interface ProjectPlan {
  options: Required<ScaffoldOptions>;
  /** The project folder: parentFolder/name. */
  folder: string;
  files: GeneratedFile[];
  overwrite: boolean;
}

/** The styles that have templates for `architecture`, in catalog order. */
export function availableStyles(templates: TemplateSource, architecture: Architecture): Style[] {
  return STYLES.filter((style) => templates.list(`${style}/${architecture}`).length > 0);
}

/** `base`, else `base_2`, `base_3`, … : the first that `taken` says is free. */
export function nextFreeName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    if (!taken(`${base}_${n}`)) return `${base}_${n}`;
  }
}

function defaultName(parentFolder: string, architecture: Architecture, style: Style): string {
  return nextFreeName(`${architecture}_${style}`, (name) => existsSync(path.join(parentFolder, name)));
}

function checkArchitecture(value: string | undefined, templates: TemplateSource): Architecture | undefined {
  if (value === undefined) return undefined;
  if (!isArchitecture(value)) throw new ScaffoldError(`Unknown architecture "${value}": use one of ${ARCHITECTURES.join(', ')}.`);
  if (availableStyles(templates, value).length === 0) throw new ScaffoldError(`There are no templates for ${CATALOG[value].title} projects.`);
  return value;
}

function checkStyle(value: string | undefined, architecture: Architecture | undefined, templates: TemplateSource): Style | undefined {
  if (value === undefined) return undefined;
  if (!isStyle(value)) throw new ScaffoldError(`Unknown style "${value}": use one of ${STYLES.join(', ')}.`);
  if (architecture && !availableStyles(templates, architecture).includes(value)) {
    throw new ScaffoldError(`There are no ${STYLE_INFO[value].label} templates for ${CATALOG[architecture].title} projects.`);
  }
  return value;
}

function checkParent(value: string | undefined, environment: WizardEnvironment): string | undefined {
  if (value === undefined) return undefined;
  if (path.isAbsolute(value)) return path.resolve(value);
  const base = environment.workspaceFolders[0]?.path;
  if (!base) throw new ScaffoldError(`parentFolder "${value}" is relative and no folder is open to resolve it against.`);
  return path.resolve(base, value);
}

const BROWSE = Symbol('browse');

function assertNever(id: string): never {
  throw new Error(`the ${id} step is asked before it is answered`);
}

interface Answers {
  architecture?: Architecture;
  style?: Style;
  dataset?: string;
  parentFolder?: string;
  name?: string;
}

type StepId = keyof Answers;

/**
 * Asks what `args` leaves open, in the order architecture → style → dataset →
 * parent folder → name. `quick` (the per-architecture commands, and calls with
 * an argument object) asks only what has no default: architecture, style and
 * folder; the dataset is then synthetic and the name `<arch>_<style>` or the
 * next free `<arch>_<style>_N`. Resolves with the plan, or undefined when the
 * user cancels; throws ScaffoldError for arguments it cannot use, or for a
 * clash with a `name` given as an argument and no `overwrite`.
 */
export async function planNewProject(
  args: NewProjectArgs,
  prompts: Prompts,
  environment: WizardEnvironment,
  { title = 'New Deep Learning Project', quick = false }: { title?: string; quick?: boolean } = {},
): Promise<ProjectPlan | undefined> {
  const { templates } = environment;
  const answers: Answers = {};
  const given: Answers = {
    architecture: checkArchitecture(args.architecture, templates),
    parentFolder: checkParent(args.parentFolder, environment),
  };
  given.style = checkStyle(args.style, given.architecture, templates);
  if (args.dataset !== undefined) given.dataset = args.dataset; // generateProject checks it
  if (args.name !== undefined) {
    const problem = checkProjectName(args.name);
    if (problem) throw new ScaffoldError(problem);
    given.name = args.name;
  }
  if (ARCHITECTURES.every((architecture) => availableStyles(templates, architecture).length === 0)) {
    throw new ScaffoldError('No project templates were found: the extension is incomplete.');
  }
  const askable: StepId[] = quick ? ['architecture', 'style', 'parentFolder'] : ['architecture', 'style', 'dataset', 'parentFolder', 'name'];
  const asked = askable.filter((id) => given[id] === undefined);
  const value = <K extends StepId>(id: K): Answers[K] => given[id] ?? answers[id];
  /** An answer an earlier step (or the argument) has given. */
  const known = <K extends StepId>(id: K): NonNullable<Answers[K]> => value(id) ?? assertNever(id);
  const step = (index: number): Step => ({ title, step: index + 1, totalSteps: asked.length, canGoBack: index > 0 });

  const ask = async (id: StepId, at: Step): Promise<Answer<string>> => {
    switch (id) {
      case 'architecture':
        return prompts.pick({
          ...at,
          placeholder: 'Architecture',
          items: ARCHITECTURES.filter((a) => availableStyles(templates, a).length > 0).map((a) => ({
            label: CATALOG[a].title,
            description: CATALOG[a].description,
            value: a,
          })),
          active: answers.architecture,
        });
      case 'style':
        return prompts.pick({
          ...at,
          placeholder: 'Framework',
          items: availableStyles(templates, known('architecture')).map((s) => ({ label: STYLE_INFO[s].label, description: STYLE_INFO[s].description, value: s })),
          active: answers.style,
        });
      case 'dataset':
        return prompts.pick({
          ...at,
          placeholder: 'Dataset to train on',
          items: CATALOG[known('architecture')].datasets.map((d) => ({ label: d.label, detail: d.detail, value: d.id })),
          active: answers.dataset,
        });
      case 'parentFolder': {
        for (;;) {
          const choice = await prompts.pick<string | typeof BROWSE>({
            ...at,
            placeholder: 'Create the project folder in…',
            items: [
              ...environment.workspaceFolders.map((folder) => ({ label: folder.name, description: folder.path, value: folder.path })),
              { label: '$(folder-opened) Browse…', description: 'choose another folder', value: BROWSE },
            ],
            ...(answers.parentFolder !== undefined ? { active: answers.parentFolder } : {}),
          });
          if (choice !== BROWSE) return choice;
          const browsed = await prompts.browseFolder(answers.parentFolder ?? environment.workspaceFolders[0]?.path);
          if (browsed !== undefined) return browsed;
        }
      }
      case 'name': {
        const [architecture, style, parent] = [known('architecture'), known('style'), known('parentFolder')];
        const paths = projectFilePaths(templates, architecture, style);
        return prompts.input({
          ...at,
          prompt: 'Project name: the folder and Python package (letters, digits and underscores)',
          value: answers.name ?? defaultName(parent, architecture, style),
          validate: (name) => {
            const problem = checkProjectName(name);
            if (problem) return { message: problem, severity: 'error' };
            const clashes = existingFiles(path.join(parent, name), paths);
            if (clashes.length === 0) return undefined;
            return { message: `${name} already has ${clashes.length} of the project's files: continuing asks to replace them.`, severity: 'warning' };
          },
        });
      }
    }
  };

  for (let index = 0; ; ) {
    if (index === asked.length) {
      const [architecture, style, parentFolder] = [known('architecture'), known('style'), known('parentFolder')];
      const name = value('name') ?? defaultName(parentFolder, architecture, style);
      const options = { architecture, style, name, dataset: value('dataset') ?? CATALOG[architecture].datasets[0]?.id ?? 'synthetic' };
      const plan = { options, folder: path.join(parentFolder, name), files: generateProject(options, templates), overwrite: args.overwrite === true };
      const clashes = plan.overwrite ? [] : existingFiles(plan.folder, plan.files);
      if (clashes.length === 0) return plan;
      if (given.name !== undefined) {
        throw new ScaffoldError(`${plan.folder} already has files the project would replace: ${clashes.join(', ')}. Pass overwrite: true to replace them.`);
      }
      // A default name is a free folder: only a race gets here, and writeProject refuses it.
      if (!asked.includes('name')) return plan;
      if (await prompts.confirmReplace(plan.folder, clashes)) return { ...plan, overwrite: true };
      index = asked.indexOf('name'); // choose another name, or Escape to cancel
      continue;
    }
    const id = asked[index] as StepId;
    const answer = await ask(id, step(index));
    if (answer === undefined) return undefined;
    if (answer === BACK) {
      index = Math.max(0, index - 1);
      continue;
    }
    if (id === 'architecture' && answer !== answers.architecture) {
      // A style or dataset chosen for another architecture may not exist for this one.
      delete answers.style;
      delete answers.dataset;
    }
    (answers as Record<StepId, string>)[id] = answer;
    index++;
  }
}

/** The relative paths a project of this kind has (they do not depend on its name). */
function projectFilePaths(templates: TemplateSource, architecture: Architecture, style: Style): GeneratedFile[] {
  return generateProject({ architecture, style, name: 'project' }, templates);
}

/** "Add Model to File…": which model, asking for what `args` leaves open. */
export async function pickModel(
  args: Pick<NewProjectArgs, 'architecture' | 'style'>,
  prompts: Prompts,
  templates: TemplateSource,
): Promise<{ architecture: Architecture; style: Style } | undefined> {
  const title = 'Add Model to File';
  let architecture = checkArchitecture(args.architecture, templates);
  const givenStyle = checkStyle(args.style, architecture, templates);
  const askArchitecture = architecture === undefined;
  for (;;) {
    if (askArchitecture) {
      const answer = await prompts.pick({
        title,
        step: 1,
        totalSteps: givenStyle ? 1 : 2,
        canGoBack: false,
        placeholder: 'Architecture',
        items: ARCHITECTURES.filter((a) => availableStyles(templates, a).length > 0 && (!givenStyle || availableStyles(templates, a).includes(givenStyle))).map((a) => ({
          label: CATALOG[a].title,
          description: CATALOG[a].description,
          value: a,
        })),
        ...(architecture ? { active: architecture } : {}),
      });
      if (answer === undefined || answer === BACK) return undefined;
      architecture = answer;
    }
    if (!architecture) return undefined;
    if (givenStyle) return { architecture, style: givenStyle };
    const style = await prompts.pick({
      title,
      step: askArchitecture ? 2 : 1,
      totalSteps: askArchitecture ? 2 : 1,
      canGoBack: askArchitecture,
      placeholder: 'Framework',
      items: availableStyles(templates, architecture).map((s) => ({ label: STYLE_INFO[s].label, description: STYLE_INFO[s].description, value: s })),
    });
    if (style === BACK) continue;
    if (style === undefined) return undefined;
    return { architecture, style };
  }
}

const IMPORT_LINE = /^(import\s+\S|from\s+\S+\s+import\s)/;

/**
 * The text "Add Model to File…" inserts: the model file, minus the top-level
 * import lines `document` already has word for word.
 */
export function modelInsertion(model: string, document: string): string {
  const present = new Set(
    document
      .split(/\r?\n/)
      .filter((line) => IMPORT_LINE.test(line))
      .map((line) => line.trim()),
  );
  const kept = model.split('\n').filter((line) => !(IMPORT_LINE.test(line) && present.has(line.trim())));
  let text = kept.join('\n').replace(/^\n+/, '');
  if (!text.endsWith('\n')) text += '\n';
  return text;
}
