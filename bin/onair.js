#!/usr/bin/env node
// Runs the compiled CLI; `npm ci` builds it (the `prepare` script).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
// Answered before loading the CLI: a version check should not pay for every adapter's import.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  console.log(`onair ${pkg.version}`);
  process.exit(0);
}
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('onair is not built yet: run `npm run build` (npm ci does it for you).');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(args, process.env);
