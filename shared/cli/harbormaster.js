#!/usr/bin/env node
// Runs the TypeScript CLI from source through tsx (development and tests); the package's bin is the bundle
// dist/cli/harbormaster.mjs that `npm run build` writes.
require('tsx/cjs');
const { run } = require('./main.ts');
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
