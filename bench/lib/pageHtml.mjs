// One HTML page holding a browser bundle of `entry` (esbuild, CSS imports inlined), for benches
// that load code of webviews/ into headless Chromium with page.setContent().
import * as esbuild from 'esbuild';

/** A dark VS Code theme's variables, so charts draw as they would in the editor. */
export const DARK_THEME_CSS = `:root { --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-foreground: #cccccc;
  --vscode-editor-foreground: #d4d4d4; --vscode-editor-background: #1e1e1e; --vscode-descriptionForeground: #9d9d9d;
  --vscode-panel-border: rgba(128, 128, 128, 0.35); --vscode-errorForeground: #f48771; }
body { background: var(--vscode-editor-background); color: var(--vscode-foreground); margin: 0; padding: 0 20px; }`;

export async function pageHtml(entry, css = DARK_THEME_CSS) {
  const built = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outdir: 'page',
    write: false,
    loader: { '.css': 'css' },
    logLevel: 'error',
  });
  const output = (extension) => built.outputFiles.find((file) => file.path.endsWith(extension))?.text ?? '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><style>
${css}
${output('.css')}
</style></head><body><div id="root"></div>
<script type="module">${output('.js').replace(/<\/script/gi, '<\\/script')}</script>
</body></html>`;
}
