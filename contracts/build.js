// Compiles src/*.sol with the solc-js pinned in package.json and writes
// artifacts/<Contract>.json (ABI and bytecode), which the Go bindings and
// tests read. `node build.js --check` compiles and fails when the
// committed artifacts differ, so CI catches sources changed without a
// rebuild.
'use strict';

const fs = require('fs');
const path = require('path');
const solc = require('solc');

const srcDir = path.join(__dirname, 'src');
const outDir = path.join(__dirname, 'artifacts');
const check = process.argv.includes('--check');

const sources = {};
for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith('.sol')).sort()) {
  sources[f] = { content: fs.readFileSync(path.join(srcDir, f), 'utf8') };
}
const input = {
  language: 'Solidity',
  sources,
  settings: {
    viaIR: true,
    optimizer: { enabled: true, runs: 10000 },
    evmVersion: 'osaka',
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
  },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter((e) => e.severity === 'error');
for (const e of out.errors || []) {
  console.error(e.formattedMessage);
}
if (errors.length > 0) {
  process.exit(1);
}

const want = {};
for (const file of Object.keys(out.contracts).sort()) {
  for (const name of Object.keys(out.contracts[file]).sort()) {
    const c = out.contracts[file][name];
    if (c.evm.bytecode.object === '' || c.abi.length === 0) {
      continue; // interfaces, and libraries of internal functions (inlined)
    }
    want[name + '.json'] = JSON.stringify({
      contractName: name,
      source: 'src/' + file,
      compiler: 'solc ' + solc.version(),
      abi: c.abi,
      bytecode: '0x' + c.evm.bytecode.object,
      deployedBytecode: '0x' + c.evm.deployedBytecode.object,
    }, null, 2) + '\n';
  }
}

if (check) {
  const have = fs.existsSync(outDir) ? fs.readdirSync(outDir).filter((f) => f.endsWith('.json')).sort() : [];
  const stale = [];
  for (const f of new Set([...have, ...Object.keys(want)])) {
    const p = path.join(outDir, f);
    if (!(f in want) || !fs.existsSync(p) || fs.readFileSync(p, 'utf8') !== want[f]) {
      stale.push(f);
    }
  }
  if (stale.length > 0) {
    console.error('contracts/artifacts are stale (' + stale.join(', ') + '): run `npm run build` in contracts/ and commit the result');
    process.exit(1);
  }
  console.log('contracts/artifacts match the sources (' + Object.keys(want).length + ' contracts, solc ' + solc.version() + ')');
  process.exit(0);
}
fs.mkdirSync(outDir, { recursive: true });
for (const f of fs.readdirSync(outDir)) {
  if (f.endsWith('.json') && !(f in want)) {
    fs.unlinkSync(path.join(outDir, f));
  }
}
for (const [f, text] of Object.entries(want)) {
  fs.writeFileSync(path.join(outDir, f), text);
}
console.log('wrote ' + Object.keys(want).length + ' artifacts with solc ' + solc.version());
