/**
 * The colours and font the canvas needs, read from VS Code's theme variables
 * (a canvas cannot use CSS variables itself), and a watcher that reports
 * theme switches.
 */

export interface ChartTheme {
  foreground: string;
  muted: string;
  grid: string;
  error: string;
  /** Canvas font for tick labels, in CSS px (uPlot scales it). */
  font: string;
  fontFamily: string;
  fontSize: number;
}

export function readTheme(element: HTMLElement = document.body): ChartTheme {
  const style = getComputedStyle(element);
  const variable = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
  const foreground = variable('--vscode-editor-foreground', variable('--vscode-foreground', '#cccccc'));
  const fontFamily = variable('--vscode-font-family', 'sans-serif');
  const baseSize = Number.parseFloat(variable('--vscode-font-size', '13px'));
  const fontSize = Math.max(9, (Number.isFinite(baseSize) ? baseSize : 13) - 2);
  return {
    foreground,
    muted: variable('--vscode-descriptionForeground', foreground),
    grid: variable('--vscode-panel-border', 'rgba(128, 128, 128, 0.35)'),
    error: variable('--vscode-errorForeground', '#f14c4c'),
    font: `${fontSize}px ${fontFamily}`,
    fontFamily,
    fontSize,
  };
}

/** Calls `onChange` when VS Code switches the theme (it rewrites the body's class and the root's variables). */
export function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(() => onChange());
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}
