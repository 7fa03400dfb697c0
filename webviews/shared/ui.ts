/**
 * The one place that knows the UI toolkit. Webviews build their pages with
 * these helpers, so a move to another component library touches only here.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDropdown,
  vsCodeOption,
  vsCodePanels,
  vsCodePanelTab,
  vsCodePanelView,
  vsCodeProgressRing,
  vsCodeTag,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

provideVSCodeDesignSystem().register(
  vsCodeButton(),
  vsCodeDropdown(),
  vsCodeOption(),
  vsCodePanels(),
  vsCodePanelTab(),
  vsCodePanelView(),
  vsCodeProgressRing(),
  vsCodeTag(),
  vsCodeTextField(),
);

export type Child = Node | string | null | undefined | false;

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

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary' | 'icon';
  testId?: string;
  /** Accessible name when the label alone is not clear (icon buttons). */
  ariaLabel?: string;
  title?: string;
  disabled?: boolean;
}

export function button(label: string, onClick: () => void, options: ButtonOptions['appearance'] | ButtonOptions = 'secondary'): HTMLElement {
  const settings: ButtonOptions = typeof options === 'string' ? { appearance: options } : options;
  const attributes: Record<string, string> = { appearance: settings.appearance ?? 'secondary' };
  if (settings.testId) attributes['data-testid'] = settings.testId;
  if (settings.ariaLabel) attributes['aria-label'] = settings.ariaLabel;
  if (settings.title) attributes.title = settings.title;
  const element = h('vscode-button', attributes, label);
  setDisabled(element, settings.disabled ?? false);
  element.addEventListener('click', () => {
    if (!element.hasAttribute('disabled')) onClick();
  });
  return element;
}

/** Enables or disables a control made by these helpers. */
export function setDisabled(element: HTMLElement, disabled: boolean): void {
  element.toggleAttribute('disabled', disabled);
}

export function tag(text: string): HTMLElement {
  return h('vscode-tag', {}, text);
}

/** A spinning progress indicator with an accessible name. */
export function progressRing(label: string): HTMLElement {
  return h('vscode-progress-ring', { 'aria-label': label });
}

/** A two-column table of label / value rows. */
export function facts(rows: Array<[string, Child]>): HTMLElement {
  return h('table', { class: 'facts' }, ...rows.map(([label, value]) => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, value))));
}

/** The value of a toolkit form control (text field, dropdown). */
export function controlValue(element: HTMLElement): string {
  return (element as HTMLElement & { value?: string }).value ?? '';
}

/** Sets a toolkit text field's value from code (no input event follows). */
export function setControlValue(element: HTMLElement, value: string): void {
  (element as HTMLElement & { value?: string }).value = value;
}

export interface TextFieldOptions {
  label: string;
  value: string;
  placeholder?: string;
  testId?: string;
  /** Width in characters. */
  size?: number;
  /** Called on every keystroke with the field's text. */
  onInput: (value: string) => void;
}

/** A labelled single-line text field. */
export function textField(options: TextFieldOptions): HTMLElement {
  const attributes: Record<string, string> = { value: options.value };
  if (options.placeholder) attributes.placeholder = options.placeholder;
  if (options.testId) attributes['data-testid'] = options.testId;
  if (options.size) attributes.size = String(options.size);
  const field = h('vscode-text-field', attributes, options.label);
  field.addEventListener('input', () => options.onInput(controlValue(field)));
  return field;
}

/** Shows a validation problem on a text field (or clears it with ''). */
export function setInvalid(field: HTMLElement, message: string): void {
  if (message) {
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('title', message);
    field.classList.add('invalid');
  } else {
    field.removeAttribute('aria-invalid');
    field.removeAttribute('title');
    field.classList.remove('invalid');
  }
}

export interface DropdownOptions {
  label: string;
  value: string;
  choices: Array<{ value: string; label: string }>;
  testId?: string;
  onChange: (value: string) => void;
}

export interface Control {
  element: HTMLElement;
  setValue(value: string): void;
}

/** A dropdown with a visible label above it, like the toolkit's text fields have. */
export function dropdown(options: DropdownOptions): Control {
  const id = `dropdown-${Math.random().toString(36).slice(2, 10)}`;
  const attributes: Record<string, string> = { id, 'aria-label': options.label };
  if (options.testId) attributes['data-testid'] = options.testId;
  const select = h(
    'vscode-dropdown',
    attributes,
    ...options.choices.map((choice) => {
      const option = h('vscode-option', { value: choice.value }, choice.label);
      if (choice.value === options.value) option.setAttribute('selected', '');
      return option;
    }),
  );
  let settingValue = false;
  select.addEventListener('change', (event) => {
    event.stopPropagation();
    if (!settingValue) options.onChange(controlValue(select));
  });
  return {
    element: h('div', { class: 'dropdown-container' }, h('label', { for: id }, options.label), select),
    setValue: (value) => {
      settingValue = true;
      (select as HTMLElement & { value?: string }).value = value;
      settingValue = false;
    },
  };
}

export interface TabSpec {
  id: string;
  label: string;
  testId?: string;
  content: HTMLElement;
}

export interface Tabs {
  element: HTMLElement;
  /** Shows a tab without emitting a change. */
  select(id: string): void;
}

/** Tabs with keyboard support (arrows, Home, End); `onChange` gets the id of the tab the user picked. */
export function tabs(specs: TabSpec[], active: string, onChange: (id: string) => void, label: string): Tabs {
  const tabId = (id: string): string => `tab-${id}`;
  const panels = h('vscode-panels', { activeid: tabId(active), 'aria-label': label });
  for (const spec of specs) {
    const attributes: Record<string, string> = { id: tabId(spec.id) };
    if (spec.testId) attributes['data-testid'] = spec.testId;
    panels.append(h('vscode-panel-tab', attributes, spec.label));
  }
  for (const spec of specs) panels.append(h('vscode-panel-view', { id: `view-${spec.id}` }, spec.content));
  panels.addEventListener('change', (event) => {
    // Form controls inside the views emit 'change' too; only the tab strip's own counts.
    if (event.target !== panels) return;
    // The property, not the attribute: the toolkit reflects it to the attribute later.
    const id = ((panels as HTMLElement & { activeid?: string }).activeid ?? '').replace(/^tab-/, '');
    if (specs.some((spec) => spec.id === id)) onChange(id);
  });
  return {
    element: panels,
    select: (id) => {
      (panels as HTMLElement & { activeid?: string }).activeid = tabId(id);
    },
  };
}
