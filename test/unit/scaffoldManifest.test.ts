/** package.json: the scaffolding commands as the palette shows them. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ARCHITECTURES, CATALOG } from '../../src/scaffold/catalog';

interface Command {
  command: string;
  title: string;
  category: string;
  enablement?: string;
}

interface Manifest {
  contributes: { commands: Command[]; menus?: Record<string, Array<{ command: string; when?: string }>> };
}

// Tests run from the repository root (the bundled test file lives in out/unit).
const manifest = JSON.parse(readFileSync(path.join(process.cwd(), 'package.json'), 'utf8')) as Manifest;
const command = (id: string): Command => manifest.contributes.commands.find((c) => c.command === id) ?? assert.fail(`${id} is not contributed`);
const pascal = (id: string): string => id[0]?.toUpperCase() + id.slice(1);

describe('package.json: scaffolding commands', () => {
  it('contributes New Project… and one New <Architecture> Project… per catalog architecture', () => {
    assert.equal(command('deepLearningKit.newProject').title, 'New Project…');
    for (const architecture of ARCHITECTURES) {
      const contributed = command(`deepLearningKit.new${pascal(architecture)}Project`);
      assert.equal(contributed.title, `New ${CATALOG[architecture].title} Project…`);
      assert.equal(contributed.category, 'Deep Learning');
    }
  });

  it('needs no workspace trust: scaffolding writes files and runs nothing', () => {
    for (const c of manifest.contributes.commands.filter((c) => /^deepLearningKit\.(new\w*Project|addModelToFile)$/.test(c.command))) {
      assert.doesNotMatch(c.enablement ?? '', /isWorkspaceTrusted/, c.command);
    }
  });

  it('enables and shows Add Model to File… only in Python editors', () => {
    const add = command('deepLearningKit.addModelToFile');
    assert.equal(add.title, 'Add Model to File…');
    assert.equal(add.enablement, 'editorLangId == python');
    const palette = manifest.contributes.menus?.['commandPalette']?.find((entry) => entry.command === add.command);
    assert.equal(palette?.when, 'editorLangId == python');
  });
});
