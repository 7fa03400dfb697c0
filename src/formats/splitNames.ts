/**
 * The split (train, val, test) a metric's name states, so that `val_loss`,
 * `val/loss` and `loss/val` all become metric `loss` on split `val`, drawn in
 * one chart with `train_loss`. Every held-out set evaluated during training
 * (`validation`, `valid`, `val`, `eval`, `evaluation`) is `val`; `test` stays
 * `test`. Conservative by design: one `/` at most (`Loss/train/step` stays
 * whole), and only whole words name a split (`avg_test_acc` stays whole).
 */

const SPLIT_WORDS: ReadonlyMap<string, string> = new Map([
  ['train', 'train'],
  ['training', 'train'],
  ['val', 'val'],
  ['valid', 'val'],
  ['validation', 'val'],
  ['eval', 'val'],
  ['evaluation', 'val'],
  ['test', 'test'],
]);

/**
 * Folders TensorBoard writers name after the split (Keras' callback: `train/`,
 * `validation/`): fewer words than in names, since a folder called
 * `training` is as likely a project's log folder as a split.
 */
const SPLIT_FOLDERS: ReadonlyMap<string, string> = new Map([
  ['train', 'train'],
  ['validation', 'val'],
  ['val', 'val'],
  ['eval', 'val'],
  ['test', 'test'],
]);

/** The split a run folder's own name states (`validation` -> `val`); undefined when none. */
export function splitOfFolder(folderName: string): string | undefined {
  return SPLIT_FOLDERS.get(folderName);
}

/** The split a word names (`Validation` -> `val`), any case; undefined when none. */
export function splitOfWord(word: string): string | undefined {
  return SPLIT_WORDS.get(word.toLowerCase());
}

/**
 * `val_loss`, `train/loss`, `loss/train`, `eval/accuracy` -> metric and split;
 * other names stay whole without a split.
 */
export function splitFromName(name: string): { metric: string; split?: string } {
  const slash = name.indexOf('/');
  if (slash !== -1) {
    if (name.indexOf('/', slash + 1) !== -1) return { metric: name };
    const head = name.slice(0, slash);
    const tail = name.slice(slash + 1);
    if (head !== '' && tail !== '') {
      const prefixSplit = splitOfWord(head);
      if (prefixSplit !== undefined) return { metric: tail, split: prefixSplit };
      const suffixSplit = splitOfWord(tail);
      if (suffixSplit !== undefined) return { metric: head, split: suffixSplit };
    }
  }
  const underscore = name.indexOf('_');
  if (underscore > 0 && underscore < name.length - 1) {
    const split = splitOfWord(name.slice(0, underscore));
    if (split !== undefined) return { metric: name.slice(underscore + 1), split };
  }
  return { metric: name };
}
