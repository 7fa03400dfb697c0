import type { Browser } from 'playwright-core';

/** What test/run.mjs hands the end-to-end files: a running code-server with the packaged VSIX installed. */
export interface E2EContext {
  url: string;
  browser: Browser;
  workspace: string;
  resultsDir: string;
}

export function e2eContext(): E2EContext {
  const context = (globalThis as { dlkitE2E?: E2EContext }).dlkitE2E;
  if (!context) throw new Error('End-to-end tests run through `node test/run.mjs e2e`, which starts code-server first.');
  return context;
}
