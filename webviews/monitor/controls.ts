/** Plain form controls the UI toolkit has no helper for: a labelled checkbox and a labelled range slider. */
import { h } from '../shared/ui';

export interface Checkbox {
  element: HTMLElement;
  input: HTMLInputElement;
}

export function checkbox(label: string, checked: boolean, testId: string, onChange: (checked: boolean) => void): Checkbox {
  const input = h('input', { type: 'checkbox', 'data-testid': testId }) as HTMLInputElement;
  input.checked = checked;
  input.addEventListener('change', () => onChange(input.checked));
  return { element: h('label', { class: 'checkbox' }, input, h('span', {}, label)), input };
}

export interface SliderOptions {
  label: string;
  min: number;
  max: number;
  step: number;
  value: number;
  testId: string;
  format: (value: number) => string;
  onInput: (value: number) => void;
}

export interface Slider {
  element: HTMLElement;
  input: HTMLInputElement;
  setDisabled(disabled: boolean): void;
}

/** A range input with its label above and its value beside it, laid out like the toolkit's dropdowns. */
export function slider(options: SliderOptions): Slider {
  const id = `slider-${Math.random().toString(36).slice(2, 10)}`;
  const input = h('input', {
    type: 'range',
    id,
    min: String(options.min),
    max: String(options.max),
    step: String(options.step),
    'data-testid': options.testId,
  }) as HTMLInputElement;
  input.value = String(options.value);
  const output = h('output', { for: id, class: 'slider-value', 'data-testid': `${options.testId}-value` }, options.format(options.value));
  input.addEventListener('input', () => {
    const value = Number(input.value);
    output.textContent = options.format(value);
    options.onInput(value);
  });
  const element = h('div', { class: 'slider-container' }, h('label', { for: id }, options.label), h('div', { class: 'slider-row' }, input, output));
  return {
    element,
    input,
    setDisabled: (disabled) => {
      input.disabled = disabled;
      element.classList.toggle('disabled', disabled);
    },
  };
}
