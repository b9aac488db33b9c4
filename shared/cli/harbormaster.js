#!/usr/bin/env node
// Runs the TypeScript CLI from source through tsx, so `npx harbormaster` works right after `npm ci`.
require('tsx/cjs');
const { run } = require('./main.ts');
run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
