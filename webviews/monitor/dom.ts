/** Small DOM utilities the monitor's keyed lists share. */

/**
 * Makes `parent`'s children exactly `children`, in order, touching the DOM
 * only when they differ: re-inserting an element would take focus from a
 * button inside it on every streamed update.
 */
export function syncChildren(parent: Element, children: readonly Element[]): void {
  const current = parent.children;
  if (current.length === children.length && children.every((child, index) => current[index] === child)) return;
  parent.replaceChildren(...children);
}
