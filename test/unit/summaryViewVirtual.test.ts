/** webviews/summary/virtualWindow.ts: which rows a virtualised table renders, scrolling to a row, keyboard moves. */
import assert from 'node:assert/strict';
import { isNavigationKey, navigate, scrollToReveal, virtualWindow } from '../../webviews/summary/virtualWindow';

describe('summary virtual window', () => {
  it('renders only the rows in view plus the overscan, with spacers for the rest', () => {
    // 5,000 rows of 26 px in a 520 px viewport, scrolled to row 2,000.
    const window = virtualWindow(5000, 26, 2000 * 26, 520, 10);
    assert.deepEqual(window, { start: 1990, end: 2031, padTop: 1990 * 26, padBottom: (5000 - 2031) * 26 });
    assert.ok(window.end - window.start < 50, 'a few dozen rows, not thousands');
    assert.equal(window.padTop + (window.end - window.start) * 26 + window.padBottom, 5000 * 26, 'the scroll height stays that of all rows');
  });

  it('starts at the top and stops at the bottom', () => {
    assert.deepEqual(virtualWindow(5000, 26, 0, 520, 10), { start: 0, end: 31, padTop: 0, padBottom: (5000 - 31) * 26 });
    const bottom = virtualWindow(5000, 26, 5000 * 26 - 520, 520, 10);
    assert.equal(bottom.end, 5000);
    assert.equal(bottom.padBottom, 0);
  });

  it('clamps a scroll position left over from a longer list', () => {
    // The filter shrank the list to 30 rows while the old scrollTop was deep down.
    const window = virtualWindow(30, 26, 100_000, 520, 10);
    assert.equal(window.end, 30);
    assert.ok(window.start <= 30 - 20, 'the last screenful is rendered');
    assert.deepEqual(virtualWindow(30, 26, -50, 520, 10).start, 0);
  });

  it('renders nothing for an empty list or a zero row height', () => {
    assert.deepEqual(virtualWindow(0, 26, 0, 520), { start: 0, end: 0, padTop: 0, padBottom: 0 });
    assert.deepEqual(virtualWindow(10, 0, 0, 520), { start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('scrolls as little as possible to reveal a row', () => {
    assert.equal(scrollToReveal(5, 26, 0, 520), 0, 'already visible');
    assert.equal(scrollToReveal(100, 26, 0, 520), 101 * 26 - 520, 'below: bring its bottom to the bottom');
    assert.equal(scrollToReveal(3, 26, 2600, 520), 78, 'above: bring its top to the top');
  });

  it('moves the selection with the keyboard, within bounds', () => {
    assert.equal(navigate(-1, 'ArrowDown', 10, 5), 0);
    assert.equal(navigate(-1, 'End', 10, 5), 9);
    assert.equal(navigate(0, 'ArrowUp', 10, 5), 0);
    assert.equal(navigate(3, 'ArrowDown', 10, 5), 4);
    assert.equal(navigate(3, 'PageDown', 10, 5), 8);
    assert.equal(navigate(8, 'PageDown', 10, 5), 9);
    assert.equal(navigate(8, 'PageUp', 10, 5), 3);
    assert.equal(navigate(8, 'Home', 10, 5), 0);
    assert.equal(navigate(2, 'ArrowDown', 0, 5), -1);
    assert.ok(isNavigationKey('PageUp'));
    assert.ok(!isNavigationKey('Enter'));
  });
});
