/** Assertions the format tests share. */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { FormatError } from '../../src/formats/errors';

/** The promise rejects with a FormatError whose message starts with the file's name and matches `pattern`. */
export async function rejectsNaming(promise: Promise<unknown>, file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof FormatError, `expected a FormatError, got ${String(error)}`);
    assert.equal(error.name, 'FormatError');
    assert.ok(error.message.startsWith(`${path.basename(file)}: `), error.message);
    assert.match(error.message, pattern);
    return true;
  });
}
