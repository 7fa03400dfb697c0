/** The YAML subset training tools write for flat settings (Lightning's hparams.yaml, MLflow's meta.yaml). */
import type { HyperParameters } from '../protocol/monitor';
import { scalarFromText } from './textTail';

/**
 * A minimal YAML subset: `key: value` scalars, nested mappings by indentation
 * (flattened to `outer.inner`), comments; lists and tagged objects are left out.
 */
export function parseSimpleYaml(text: string): HyperParameters {
  const result: HyperParameters = {};
  const stack: { indent: number; prefix: string }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trimStart().startsWith('#') || raw.startsWith('---') || raw.startsWith('...')) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    if (line.startsWith('- ') || line === '-') continue;
    const match = /^("[^"]*"|'[^']*'|[^:#]+?)\s*:(?:\s+(.*))?$/.exec(line);
    if (!match) continue;
    let key = match[1]!;
    if (key.startsWith('"') || key.startsWith("'")) key = key.slice(1, -1);
    const prefix = stack.length > 0 ? `${stack[stack.length - 1]!.prefix}.` : '';
    let value = (match[2] ?? '').trim();
    if (value === '') {
      stack.push({ indent, prefix: prefix + key });
      continue;
    }
    if (value.startsWith('!!') || value.startsWith('&') || value.startsWith('*') || value === '|' || value === '>') continue;
    if (!value.startsWith('"') && !value.startsWith("'")) value = value.replace(/\s+#.*$/, '');
    result[prefix + key] = scalarFromText(value);
  }
  return result;
}
