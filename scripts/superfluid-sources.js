#!/usr/bin/env node
// Superfluid's ethereum-contracts package imports two source trees that npm does not serve:
// `@superfluid-finance/solidity-semantic-money/src/*` and `aave-v3/src/*`. Both are inside the
// package's own build info (`build/hardhat/build-info/*.json`, `input.sources[path].content`):
// write them out under node_modules/ so forge can compile the framework. Run after every npm
// install (npm prunes folders it does not know); idempotent: files already identical are left.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..', 'node_modules');
const buildInfo = path.join(root, '@superfluid-finance', 'ethereum-contracts', 'build', 'hardhat', 'build-info');
const prefixes = ['@superfluid-finance/solidity-semantic-money/src/', 'aave-v3/src/'];

let written = 0;
let found = 0;
for (const file of fs.readdirSync(buildInfo).filter((f) => f.endsWith('.json'))) {
  const sources = JSON.parse(fs.readFileSync(path.join(buildInfo, file), 'utf8')).input.sources;
  for (const [name, { content }] of Object.entries(sources)) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    if (name.split('/').includes('..')) throw new Error(`refusing source path ${name}`);
    found++;
    const target = path.join(root, name);
    let current = null;
    try {
      current = fs.readFileSync(target, 'utf8');
    } catch (_) {
      // missing: write it
    }
    if (current === content) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, content);
    written++;
  }
}
for (const p of prefixes) {
  if (!fs.existsSync(path.join(root, p))) throw new Error(`no ${p} sources in ${buildInfo}`);
}
if (written > 0) process.stderr.write(`superfluid-sources: wrote ${written} of ${found} files under node_modules/\n`);
