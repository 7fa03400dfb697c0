/**
 * Expands a VS Code snippet body the way a user who accepts every default
 * would get it: placeholders become their default text, choices their first
 * option, tab stops and unknown variables nothing. Used to prove that every
 * snippet turns into code that compiles and runs.
 */

export class SnippetSyntaxError extends Error {
  override name = 'SnippetSyntaxError';
}

/** Values for the snippet variables a body may use (TM_FILENAME, ...). */
export type SnippetVariables = Record<string, string>;

export const DEFAULT_VARIABLES: SnippetVariables = {
  TM_FILENAME: 'example.py',
  TM_FILENAME_BASE: 'example',
  TM_DIRECTORY: '/workspace',
  TM_FILEPATH: '/workspace/example.py',
  RELATIVE_FILEPATH: 'example.py',
  WORKSPACE_NAME: 'workspace',
  CURRENT_YEAR: '2026',
  CURRENT_MONTH: '01',
  CURRENT_DATE: '01',
  LINE_COMMENT: '#',
};

/** The body of a snippet file entry: a string or an array of lines. */
export function bodyText(body: string | string[]): string {
  return Array.isArray(body) ? body.join('\n') : body;
}

export function expandSnippet(body: string | string[], variables: SnippetVariables = DEFAULT_VARIABLES): string {
  const text = bodyText(body);
  const parser = new Parser(text, variables);
  const result = parser.parse(false);
  if (parser.position !== text.length) throw new SnippetSyntaxError(`unexpected "}" at offset ${parser.position}`);
  return result;
}

class Parser {
  position = 0;
  /** Text chosen for each tab stop so far: a repeated `$1` mirrors it. */
  private readonly stops = new Map<string, string>();

  constructor(
    private readonly text: string,
    private readonly variables: SnippetVariables,
  ) {}

  /** Parses until the end, or until an unescaped `}` when inside a placeholder. */
  parse(nested: boolean): string {
    let out = '';
    while (this.position < this.text.length) {
      const c = this.text[this.position] as string;
      if (c === '\\') {
        const next = this.text[this.position + 1];
        // `\$`, `\}` and `\\` are escapes; any other backslash is literal.
        if (next === '$' || next === '}' || next === '\\') {
          out += next;
          this.position += 2;
        } else {
          out += c;
          this.position += 1;
        }
      } else if (c === '}' && nested) {
        return out;
      } else if (c === '$') {
        out += this.dollar();
      } else {
        out += c;
        this.position += 1;
      }
    }
    if (nested) throw new SnippetSyntaxError('a "${" is never closed');
    return out;
  }

  private dollar(): string {
    const rest = this.text.slice(this.position);
    const simple = /^\$(\d+|[A-Z_][A-Z_0-9]*)/.exec(rest);
    if (simple) {
      this.position += simple[0].length;
      return this.resolve(simple[1] as string, undefined);
    }
    if (!rest.startsWith('${')) {
      this.position += 1; // a lone `$` is literal text
      return '$';
    }
    this.position += 2;
    const name = /^(\d+|[A-Z_][A-Z_0-9]*)/.exec(this.text.slice(this.position))?.[1];
    if (!name) throw new SnippetSyntaxError(`"\${" without a tab stop number or variable name at offset ${this.position}`);
    this.position += name.length;
    const marker = this.text[this.position];
    if (marker === '}') {
      this.position += 1;
      return this.resolve(name, undefined);
    }
    if (marker === ':') {
      this.position += 1;
      const fallback = this.parse(true);
      this.position += 1; // the closing `}`
      return this.resolve(name, fallback);
    }
    if (marker === '|') {
      const end = this.text.indexOf('|}', this.position + 1);
      if (end < 0) throw new SnippetSyntaxError(`choice for \${${name}} is never closed`);
      const options = this.text.slice(this.position + 1, end).split(/(?<!\\),/);
      this.position = end + 2;
      if (options.length === 0 || options[0] === '') throw new SnippetSyntaxError(`choice for \${${name}} has no options`);
      return this.resolve(name, (options[0] as string).replace(/\\([,|\\])/g, '$1'));
    }
    throw new SnippetSyntaxError(`unsupported snippet syntax after \${${name} (transformations are not used here)`);
  }

  private resolve(name: string, fallback: string | undefined): string {
    if (/^\d+$/.test(name)) {
      const known = this.stops.get(name);
      if (known !== undefined && fallback === undefined) return known;
      const value = fallback ?? '';
      if (!this.stops.has(name) || fallback !== undefined) this.stops.set(name, value);
      return value;
    }
    return this.variables[name] ?? fallback ?? '';
  }
}
