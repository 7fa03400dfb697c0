/** Banners for the host's `notice` messages, newest first, each dismissible; a repeated text is not stacked. */
import { button, h } from '../shared/ui';

const MAX_NOTICES = 4;

export class Notices {
  readonly element = h('div', { class: 'notices' });

  add(level: 'info' | 'error', text: string): void {
    const message = typeof text === 'string' ? text : String(text);
    for (const existing of [...this.element.children]) {
      if ((existing as HTMLElement).dataset.text === message) existing.remove();
    }
    const banner = h(
      'div',
      { class: `banner notice ${level === 'error' ? 'error' : 'info'}`, role: level === 'error' ? 'alert' : 'status', 'data-testid': 'notice', 'data-level': level },
      h('p', { class: 'notice-text' }, message),
    );
    banner.dataset.text = message;
    banner.append(button('✕', () => banner.remove(), { appearance: 'icon', ariaLabel: 'Dismiss', title: 'Dismiss', testId: 'notice-dismiss' }));
    this.element.prepend(banner);
    while (this.element.children.length > MAX_NOTICES) this.element.lastElementChild?.remove();
  }
}
