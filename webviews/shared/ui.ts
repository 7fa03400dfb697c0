/**
 * The one place that knows the UI toolkit. Webviews build their pages with
 * these helpers, so a move to another component library touches only here.
 */
import { provideVSCodeDesignSystem, vsCodeButton, vsCodeTag } from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeTag());

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes and children; strings become text, never HTML. */
export function h(tag: string, attributes: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

export function button(label: string, onClick: () => void, appearance: 'primary' | 'secondary' = 'secondary'): HTMLElement {
  const element = h('vscode-button', { appearance }, label);
  element.addEventListener('click', onClick);
  return element;
}

export function tag(text: string): HTMLElement {
  return h('vscode-tag', {}, text);
}

/** A two-column table of label / value rows. */
export function facts(rows: Array<[string, Child]>): HTMLElement {
  return h('table', { class: 'facts' }, ...rows.map(([label, value]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, value))));
}
