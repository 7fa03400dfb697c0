/**
 * What the analysis tells the user, grouped and bounded: one line per layer
 * class without a rule (however many layers use it), and at most
 * MAX_PROBLEMS other messages, so a hostile or huge model cannot flood the
 * summary.
 */
const MAX_PROBLEMS = 50;
const NAMES_SHOWN = 5;

interface NameList {
  names: string[];
  count: number;
}

function add(list: NameList, name: string): void {
  list.count++;
  if (list.names.length < NAMES_SHOWN) list.names.push(name);
}

function quote(list: NameList): string {
  const names = list.names.map((name) => `'${name}'`).join(', ');
  return list.count > list.names.length ? `${names} and ${list.count - list.names.length} more` : names;
}

export class Findings {
  private readonly noRules = new Map<string, NameList>();
  private readonly codeLayers: NameList = { names: [], count: 0 };
  private readonly problems: string[] = [];
  private readonly seen = new Set<string>();
  private dropped = 0;

  /** A layer whose class has no shape rule. */
  noRule(className: string, layerName: string): void {
    const list = this.noRules.get(className) ?? { names: [], count: 0 };
    add(list, layerName);
    this.noRules.set(className, list);
  }

  /** A Lambda-like layer: Python code, no shape in the file. */
  codeLayer(layerName: string): void {
    add(this.codeLayers, layerName);
  }

  problem(message: string): void {
    if (this.seen.has(message)) return;
    this.seen.add(message);
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(message);
    else this.dropped++;
  }

  /** A message reported once, however often it happens. */
  once(key: string, message: string): void {
    if (this.seen.has(`once:${key}`)) return;
    this.seen.add(`once:${key}`);
    this.problems.push(message);
  }

  list(): string[] {
    const lines: string[] = [];
    for (const [className, list] of this.noRules) {
      lines.push(`No shape rule for the layer class ${className} (${quote(list)}): its output shapes, and everything computed from them, are unknown.`);
    }
    if (this.codeLayers.count > 0) {
      lines.push(`Lambda layers (${quote(this.codeLayers)}) run Python code that the file does not describe: their output shapes, and everything computed from them, are unknown.`);
    }
    lines.push(...this.problems);
    if (this.dropped > 0) lines.push(`... and ${this.dropped} more analysis warnings.`);
    return lines;
  }
}
