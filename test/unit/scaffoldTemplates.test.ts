/**
 * Every project the real templates make (dist/templates, as the extension and
 * the CLI read them after `npm run build`): each architecture × style that has
 * templates is generated and checked. PyTorch CNN must exist, so the suite can
 * never pass on an empty tree.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURES, CATALOG, STYLES, type Architecture, type Style } from '../../src/scaffold/catalog';
import { generateProject, type GeneratedFile } from '../../src/scaffold/generate';
import { templatesOnDisk } from '../../src/scaffold/templateFiles';
import { availableStyles } from '../../src/scaffold/wizard';

// Tests run from the repository root (the bundled test file lives in out/unit).
const templatesDir = path.join(process.cwd(), 'dist', 'templates');
const templates = templatesOnDisk(templatesDir);

const REQUIRED = ['README.md', 'requirements.txt', 'config.toml', 'model.py', 'data.py', 'train.py', '.vscode/launch.json', '.vscode/tasks.json', '.gitignore'];
const FRAMEWORK_REQUIREMENT: Record<Style, RegExp> = { pytorch: /^torch\b/m, keras: /^keras\b/m, tensorflow: /^tensorflow\b/m };

/** JSON with comments and trailing commas, as VS Code reads launch.json and tasks.json. */
function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = /"(?:[^"\\]|\\.)*"/y;
      end.lastIndex = i;
      const match = end.exec(text);
      if (!match) throw new Error(`unterminated string at ${i}`);
      out += match[0];
      i += match[0].length - 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

const combos: Array<{ architecture: Architecture; style: Style }> = STYLES.flatMap((style) =>
  ARCHITECTURES.filter((architecture) => availableStyles(templates, architecture).includes(style)).map((architecture) => ({ architecture, style })),
);

describe('scaffold: the real templates (dist/templates)', () => {
  it('are built into dist/templates and hold at least the PyTorch CNN project', () => {
    assert.ok(existsSync(templatesDir), `${templatesDir} is missing: run npm run build`);
    assert.ok(
      combos.some((c) => c.architecture === 'cnn' && c.style === 'pytorch'),
      `no pytorch/cnn templates; found: ${combos.map((c) => `${c.style}/${c.architecture}`).join(', ') || 'none'}`,
    );
  });

  for (const { architecture, style } of combos) {
    describe(`${style} ${architecture}`, () => {
      const name = `my_${architecture}`;
      let files: GeneratedFile[];
      const file = (p: string) => files.find((f) => f.path === p) ?? assert.fail(`${p} was not generated`);

      before(() => {
        files = generateProject({ architecture, style, name }, templates);
      });

      it('has every file a project needs', () => {
        const paths = files.map((f) => f.path);
        const missing = REQUIRED.filter((p) => !paths.includes(p));
        if (!paths.includes('evaluate.py') && !paths.includes('sample.py')) missing.push('evaluate.py or sample.py');
        if (!paths.some((p) => /^tests\/test_\w+\.py$/.test(p))) missing.push('tests/test_*.py');
        assert.deepEqual(missing, [], `it has: ${paths.join(', ')}`);
      });

      it('has relative, forward-slash paths that stay inside the project, and no template suffix', () => {
        for (const { path: p } of files) {
          assert.ok(!path.isAbsolute(p) && !p.includes('\\') && !p.split('/').includes('..'), p);
          assert.doesNotMatch(p, /\.tmpl$|__pycache__|\.pyc$/);
        }
      });

      it('leaves no {{placeholder}} and names the project in README.md', () => {
        const left = files.filter((f) => /\{\{\s*\w+\s*\}\}/.test(f.content)).map((f) => `${f.path}: ${/\{\{\s*\w+\s*\}\}/.exec(f.content)?.[0]}`);
        assert.deepEqual(left, []);
        const readme = file('README.md').content;
        assert.ok(readme.includes(name) || readme.includes(`My ${CATALOG[architecture].title}`), 'README.md names the project');
      });

      it('writes the chosen dataset into config.toml', () => {
        assert.match(file('config.toml').content, /"synthetic"/);
        const other = CATALOG[architecture].datasets[1];
        assert.ok(other, 'the catalog offers a real dataset too');
        const withOther = generateProject({ architecture, style, name, dataset: other.id }, templates);
        const config = withOther.find((f) => f.path === 'config.toml')?.content ?? '';
        assert.match(config, new RegExp(`"${other.id}"`));
      });

      it('requires its framework and gives VS Code a launch and a tasks file that parse', () => {
        assert.match(file('requirements.txt').content, FRAMEWORK_REQUIREMENT[style]);
        const launch = parseJsonc(file('.vscode/launch.json').content) as { configurations?: unknown[] };
        assert.ok(Array.isArray(launch.configurations) && launch.configurations.length > 0, 'launch.json has configurations');
        const tasks = parseJsonc(file('.vscode/tasks.json').content) as { tasks?: unknown[] };
        assert.ok(Array.isArray(tasks.tasks) && tasks.tasks.length > 0, 'tasks.json has tasks');
      });

      if (style === 'pytorch') {
        it('defines an nn.Module in model.py (what Add Model to File inserts)', () => {
          assert.match(file('model.py').content, /^class \w+\(nn\.Module\):/m);
        });
      }
    });
  }
});
