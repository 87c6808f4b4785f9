#!/usr/bin/env node
// Runs every test tier and ends with one plain totals line: "N passed, N failed, N skipped".
// Tiers: jest (libs, api unit, api e2e on SQLite and MariaDB, browser e2e) and vitest (web components).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.test-results');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const started = Date.now();
const run = (label, cmd, args, env = {}) => {
  console.log(`\n=== ${label}: ${[cmd, ...args].join(' ')}`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
};
const readJson = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
};

// The browser tests drive the built app, so build first; a build failure fails the run.
const buildStatus = run('build', 'npm', ['run', 'build']);

const jestArgs = process.argv.slice(2);
const jestStatus = run('jest', 'node', [
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  'node_modules/jest/bin/jest.js',
  '--json',
  `--outputFile=${join(out, 'jest.json')}`,
  ...jestArgs,
]);
const vitestStatus = jestArgs.length
  ? 0
  : run('vitest (apps/web)', 'npx', [
      'vitest',
      'run',
      '--root',
      'apps/web',
      '--reporter=default',
      '--reporter=json',
      `--outputFile=${join(out, 'vitest.json')}`,
    ]);

const totals = { passed: 0, failed: 0, skipped: 0 };
for (const file of ['jest.json', 'vitest.json']) {
  const report = readJson(join(out, file));
  if (!report) continue;
  totals.passed += report.numPassedTests ?? 0;
  totals.failed += report.numFailedTests ?? 0;
  totals.skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // A suite that failed to load has no failed test of its own: count it as one failure.
  totals.failed += (report.testResults ?? []).filter(
    (s) => s.status === 'failed' && !(s.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
}
const broken = [buildStatus, jestStatus, vitestStatus].some((s) => s !== 0);
if (broken && totals.failed === 0) totals.failed = 1; // a runner or the build failed outright
console.log(`\nTest run took ${Math.round((Date.now() - started) / 1000)} s`);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(broken ? 1 : 0);
