/**
 * Script arguments as the user types them and as the output channel shows
 * them. No shell runs the script, so quoting is handled here: whitespace
 * separates arguments, '…' is literal, "…" allows \" and \\, and outside
 * quotes a backslash escapes only a quote, a backslash or whitespace (so
 * Windows paths keep theirs).
 */

export class ArgumentSyntaxError extends Error {
  override name = 'ArgumentSyntaxError';
}

const ESCAPABLE = /[\\"'\s]/;

export function splitArguments(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArgument = false;
  let index = 0;
  while (index < text.length) {
    const char = text.charAt(index);
    if (/\s/.test(char)) {
      if (inArgument) args.push(current);
      current = '';
      inArgument = false;
      index++;
      continue;
    }
    inArgument = true;
    if (char === "'" || char === '"') {
      let end = index + 1;
      for (; end < text.length && text.charAt(end) !== char; end++) {
        const next = text.charAt(end + 1);
        if (char === '"' && text.charAt(end) === '\\' && (next === '"' || next === '\\')) {
          current += next;
          end++;
        } else {
          current += text.charAt(end);
        }
      }
      if (end >= text.length) throw new ArgumentSyntaxError(`The ${char === '"' ? 'double' : 'single'} quote at position ${index + 1} is not closed.`);
      index = end + 1;
      continue;
    }
    const next = text.charAt(index + 1);
    if (char === '\\' && next !== '' && ESCAPABLE.test(next)) {
      current += next;
      index += 2;
      continue;
    }
    current += char;
    index++;
  }
  if (inArgument) args.push(current);
  return args;
}

/** One argument as splitArguments reads it back. */
export function quoteArgument(arg: string): string {
  if (arg !== '' && !/[\s"'\\]/.test(arg)) return arg;
  return `"${arg.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

export function formatArguments(args: readonly string[]): string {
  return args.map(quoteArgument).join(' ');
}
