// Installs Node.js 24 and code-server into the cache (once) and prints where.
import { CODE_SERVER_VERSION, cacheDir, ensureCodeServer } from './lib/codeServer.mjs';

const server = ensureCodeServer();
console.log(`code-server ${CODE_SERVER_VERSION} ready in ${cacheDir} (Node.js: ${server.node})`);
