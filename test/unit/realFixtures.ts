/**
 * The real model and log files from public repositories, kept beside the
 * checkout in shared/fixtures/real (read-only; provenance in its SOURCES.tsv).
 * DLKIT_FIXTURES points elsewhere. Missing fixtures fail loudly: never skipped.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export const REAL_FIXTURES = process.env['DLKIT_FIXTURES'] ?? path.resolve(process.cwd(), '..', 'shared', 'fixtures', 'real');

/** The absolute path of a real fixture, e.g. `realFixture('keras_h5', 'k2_1_3_cnn_batchnorm.h5')`. */
export function realFixture(...parts: string[]): string {
  if (!existsSync(REAL_FIXTURES)) {
    throw new Error(`The real fixtures are not at ${REAL_FIXTURES}: put shared/ beside the checkout or set DLKIT_FIXTURES.`);
  }
  return path.join(REAL_FIXTURES, ...parts);
}
