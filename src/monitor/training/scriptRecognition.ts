/**
 * Which Python files are training scripts, which of them write the run log
 * the Training Monitor reads, and what their docstrings say about how to run
 * them: pure functions of names and text (scripts.ts does the searching).
 */
import type { TrainingScript } from '../../protocol/monitorView';

/** File names: train.py, train_*.py, *_train.py. */
export const TRAINING_SCRIPT_GLOB = '**/{train.py,train_*.py,*_train.py}';
/** Installed packages and environments are never the user's scripts. */
export const TRAINING_SCRIPT_EXCLUDE = '**/{node_modules,.venv,venv,site-packages,.git}/**';
export const MAX_TRAINING_SCRIPTS = 200;
/** How much of a script is read to recognise it: the docstring is at the top. */
export const RECOGNITION_BYTES = 64 * 1024;

export function isTrainingScriptName(fileName: string): boolean {
  return /^(?:train|train_.+|.+_train)\.py$/.test(fileName);
}

/**
 * Whether the script says it writes the run log (runs/<run-name>/metrics.jsonl
 * and run.json), as a scaffolded project's train.py does in its docstring.
 */
export function writesRunLog(text: string): boolean {
  return text.includes('metrics.jsonl') && text.includes('run.json');
}

/** One way to run a script, from a usage line of its docstring. */
export interface ScriptUsage {
  /** The arguments after the script's name, as written (may be empty). */
  args: string;
  description: string;
  /** It holds placeholders (`NAME`, `<path>`) to fill in before it can run. */
  hasPlaceholders: boolean;
}

const MAX_USAGES = 20;

/**
 * The usage lines of the script's module docstring that run it with Python
 * directly: `    python train.py --smoke    tiny data and model: …` (or `# tiny…`)
 * gives `{ args: '--smoke', description: 'tiny data and model: …' }`. Lines
 * that run it otherwise (torchrun, with environment variables) are left out:
 * the runner starts `python -u <script>`.
 */
export function scriptUsages(text: string, fileName: string): ScriptUsage[] {
  const docstring = /^\s*(?:#[^\n]*\n\s*)*[rRuU]?("""|''')([\s\S]*?)\1/.exec(text)?.[2];
  if (docstring === undefined) return [];
  const escapedName = fileName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The command and its description are separated by at least two spaces (and maybe a `#`).
  const usage = new RegExp(`^\\s*python3?\\s+(?:\\S*[/\\\\])?${escapedName}((?:\\s\\S+)*?)(?:\\s{2,}(?:#\\s*)?(\\S.*?))?\\s*$`);
  const usages: ScriptUsage[] = [];
  for (const line of docstring.split(/\r?\n/)) {
    const match = usage.exec(line);
    if (!match) continue;
    const args = (match[1] ?? '').trim();
    if (usages.some((known) => known.args === args)) continue;
    const hasPlaceholders = args.split(/\s+/).some((word) => /^[A-Z][A-Z0-9_]*$|^<.*>$/.test(word));
    usages.push({ args, description: match[2] ?? '', hasPlaceholders });
    if (usages.length >= MAX_USAGES) break;
  }
  return usages;
}

/** Scaffolded scripts first, then by label. */
export function compareTrainingScripts(a: TrainingScript, b: TrainingScript): number {
  if (a.scaffolded !== b.scaffolded) return a.scaffolded ? -1 : 1;
  return a.label.localeCompare(b.label, undefined, { numeric: true }) || a.path.localeCompare(b.path);
}
