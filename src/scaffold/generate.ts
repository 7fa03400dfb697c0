/**
 * Catalog + options → the files of a new project. Pure: templates come from
 * an injected reader, and nothing is written here.
 */
import { CATALOG, type Architecture, type Style } from './catalog';

export interface ScaffoldOptions {
  architecture: Architecture;
  style: Style;
  /** Folder and Python package name: letters, digits and underscores, not starting with a digit. */
  name: string;
  /** A dataset id from the catalog; default: the architecture's first (synthetic). */
  dataset?: string;
}

export interface GeneratedFile {
  /** Relative to the project folder, with forward slashes. */
  path: string;
  content: string;
}

/** Reads the template tree: lists the files under a folder of templates/ and reads one. */
export interface TemplateSource {
  /** Relative paths (forward slashes) of every file under `folder`, or [] if it does not exist. */
  list(folder: string): string[];
  read(path: string): string;
}

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
/** Names that would shadow a module the generated code imports. */
const SHADOWING = new Set(['torch', 'keras', 'tensorflow', 'tf', 'numpy', 'np', 'test', 'tests', 'config', 'model', 'data', 'train']);

/** Why `name` cannot be a project name, or undefined when it can. */
export function checkProjectName(name: string): string | undefined {
  if (name === '') return 'The project name is empty.';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return `"${name}" is not a valid project name: use letters, digits and underscores, starting with a letter (it becomes a folder and a Python package name).`;
  }
  if (name.length > 64) return 'The project name is longer than 64 characters.';
  if (PYTHON_KEYWORDS.has(name)) return `"${name}" is a Python keyword.`;
  if (SHADOWING.has(name.toLowerCase())) return `"${name}" would shadow a Python module the project imports.`;
  return undefined;
}

/** "my_cnn_project" → "My CNN Project". */
export function projectTitle(name: string): string {
  return name
    .split('_')
    .filter((part) => part !== '')
    .map((part) => (['cnn', 'rnn', 'gan', 'vae', 'lstm', 'gru'].includes(part.toLowerCase()) ? part.toUpperCase() : part[0]?.toUpperCase() + part.slice(1)))
    .join(' ');
}

export function generateProject(options: ScaffoldOptions, templates: TemplateSource): GeneratedFile[] {
  const problem = checkProjectName(options.name);
  if (problem) throw new ScaffoldError(problem);
  const info = CATALOG[options.architecture];
  const dataset = options.dataset ?? info.datasets[0]?.id ?? 'synthetic';
  if (!info.datasets.some((d) => d.id === dataset)) {
    throw new ScaffoldError(`A ${info.title} project cannot use the dataset "${dataset}"; choose one of: ${info.datasets.map((d) => d.id).join(', ')}.`);
  }
  const values: Record<string, string> = {
    project_name: options.name,
    project_title: projectTitle(options.name),
    architecture: options.architecture,
    style: options.style,
    dataset,
  };
  // Later layers replace earlier files of the same path: style-wide, shared with some, own.
  const layers = [`${options.style}/_shared`, ...info.sharedWith.map((group) => `${options.style}/${group}`), `${options.style}/${options.architecture}`];
  const sources = new Map<string, string>();
  for (const folder of layers) {
    for (const file of templates.list(folder)) sources.set(file, `${folder}/${file}`);
  }
  if (sources.size === 0) throw new ScaffoldError(`There are no templates for ${options.style} ${options.architecture}.`);
  return [...sources.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, source]) => ({
      path: file.replace(/\.tmpl$/, ''),
      content: templates.read(source).replace(/\{\{(\w+)\}\}/g, (match, key: string) => values[key] ?? match),
    }));
}
