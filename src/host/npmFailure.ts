/** Turns the output of a failed `npm install @tensorflow/tfjs-node` into one sentence a user can act on. */
export function explainNpmFailure(output: string): string {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  const thrown = lines.find((line) => /^(\w*Error|Error):/.test(line));
  if (lines.some((line) => /downloading libtensorflow/i.test(line))) {
    return `its install script could not download the TensorFlow C library (libtensorflow)${thrown ? `: ${thrown.replace(/^\w*Error:\s*/, '')}` : ''}`;
  }
  const code = lines.find((line) => /^npm (error|ERR!) code /.test(line))?.replace(/^npm (error|ERR!) code /, '');
  const messages = lines
    .filter((line) => /^npm (error|ERR!) /.test(line) && !/ (code|path|command|A complete log)/.test(line))
    .map((line) => line.replace(/^npm (error|ERR!) /, ''))
    .filter((line) => line !== '');
  const detail = thrown ?? messages[0];
  if (code && detail) return `npm failed (${code}): ${detail}`;
  if (detail) return `npm failed: ${detail}`;
  if (code) return `npm failed (${code})`;
  return 'npm failed without saying why (see the Deep Learning Kit output for its full log)';
}
