/** npm's own lines: `npm error …` (npm 7+) or `npm ERR! …` (older). */
const NPM_LINE = /^npm (error|ERR!)(\s+|$)/;
/** npm lines that carry metadata or log locations rather than the message. */
const NPM_METADATA = /^(code|syscall|path|errno|command|cwd|signal)\s|^A complete log|^at\s|^\//;

/** Turns the output of a failed `npm install @tensorflow/tfjs-node` into one sentence a user can act on. */
export function explainNpmFailure(output: string): string {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  const thrown = lines.find((line) => /^(\w*Error|Error):/.test(line));
  if (lines.some((line) => /downloading libtensorflow/i.test(line))) {
    return `its install script could not download the TensorFlow C library (libtensorflow)${thrown ? `: ${thrown.replace(/^\w*Error:\s*/, '')}` : ''}`;
  }
  const npmLines = lines.filter((line) => NPM_LINE.test(line)).map((line) => line.replace(NPM_LINE, ''));
  const code = npmLines.find((line) => /^code\s/.test(line))?.replace(/^code\s+/, '');
  const messages = npmLines.filter((line) => line !== '' && !NPM_METADATA.test(line));
  const detail = (thrown ?? messages.find((line) => /^(\w*Error|Error):/.test(line)) ?? messages[0])?.replace(/^Error:\s*/, '');
  if (code && detail) return `npm failed (${code}): ${detail}`;
  if (detail) return `npm failed: ${detail}`;
  if (code) return `npm failed (${code})`;
  return 'npm failed without saying why (see the Deep Learning Kit output for its full log)';
}
