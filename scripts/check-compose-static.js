// The checks of docker-compose.yml that need no Docker: scripts/check-compose.sh runs them first,
// and where no compose CLI exists they are all that is checked (it says so). Exits 1 on a problem.
//  - the file parses as YAML (with js-yaml when node_modules has it, else a structural check only)
//    and has services, each with an image or a build,
//  - every variable it interpolates (${VAR}, ${VAR:-default}, ${VAR:?message}) is documented in
//    .env.example, as a line or a commented one,
//  - its Node.js images (the Dockerfile's FROM node:..., any image: node:...) are the version pinned
//    in .node-version, by digest (node:<version>-slim@sha256:<digest>), and that version is within
//    package.json engines (">=24.11 <25": a minimum and the next major as the bound).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

// Run from the repository's root, as scripts/check-compose.sh does.
const root = process.cwd();
const read = (name) => readFileSync(join(root, name), 'utf8');
const compose = read('docker-compose.yml');
const problems = [];
const ok = (message) => process.stdout.write(`ok: ${message}\n`);

function parsed() {
  let yaml;
  try {
    yaml = require('js-yaml');
  } catch {
    return undefined;
  }
  try {
    return yaml.load(compose);
  } catch (error) {
    problems.push(`docker-compose.yml is not valid YAML: ${error.message.split('\n')[0]}`);
    return null;
  }
}

const document = parsed();
if (document === undefined) {
  // No YAML parser: what can be seen line by line.
  if (/^\t/m.test(compose))
    problems.push('docker-compose.yml indents with tabs, which YAML refuses');
  if (!/^services:\s*$/m.test(compose))
    problems.push('docker-compose.yml has no top-level services');
  else
    ok('docker-compose.yml has services (structural check only: no YAML parser in node_modules)');
} else if (document !== null) {
  const services = document.services;
  if (typeof services !== 'object' || services === null || Object.keys(services).length === 0) {
    problems.push('docker-compose.yml has no services');
  } else {
    // A service may take its image or build from a merged anchor (<<: *app).
    const bare = Object.entries(services)
      .filter(([, s]) => !s || !(s.image || s.build || s['<<']))
      .map(([name]) => name);
    if (bare.length) problems.push(`services without an image or a build: ${bare.join(', ')}`);
    else ok(`docker-compose.yml parses (services: ${Object.keys(services).join(', ')})`);
  }
}

const uncommented = compose
  .split('\n')
  .filter((line) => !/^\s*#/.test(line))
  .join('\n');
// $${VAR} is a literal dollar for the container, not interpolation.
const variables = [
  ...new Set(
    [...uncommented.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}/g)].map((m) => m[1]),
  ),
];
const example = read('.env.example');
const undocumented = variables.filter((name) => !new RegExp(`^#?\\s*${name}=`, 'm').test(example));
if (undocumented.length) {
  problems.push(
    `variables docker-compose.yml uses but .env.example does not document: ${undocumented.join(', ')}`,
  );
} else {
  ok(`every variable docker-compose.yml uses is in .env.example (${variables.join(', ')})`);
}

// The runtime: .node-version is what scripts/lib/install.sh installs and the images run.
const engines = JSON.parse(read('package.json')).engines?.node ?? '';
const pinned = read('.node-version').trim();
const range = /^>=(\d+)\.(\d+)(?:\.(\d+))? <(\d+)$/.exec(engines);
const pin = /^(\d+)\.(\d+)\.(\d+)$/.exec(pinned);
if (!range) {
  problems.push(
    `package.json engines.node "${engines}" is not a minimum and a major bound (">=24.11 <25")`,
  );
} else if (!pin) {
  problems.push(`.node-version "${pinned}" is not a Node.js version (24.21.0)`);
} else {
  const [major, minor, patch] = pin.slice(1).map(Number);
  const [atLeast, minorAtLeast, patchAtLeast] = [range[1], range[2], range[3] ?? '0'].map(Number);
  const older =
    major < atLeast ||
    (major === atLeast &&
      (minor < minorAtLeast || (minor === minorAtLeast && patch < patchAtLeast)));
  if (older || major >= Number(range[4])) {
    problems.push(`.node-version ${pinned} is outside package.json engines "${engines}"`);
  }
}

const froms = [...read('Dockerfile').matchAll(/^FROM\s+(?:--\S+\s+)*(node:\S+)/gim)];
const images = [...uncommented.matchAll(/^\s*image:\s*['"]?(node:[^\s'"]+)/gm)];
const references = [...froms, ...images].map((m) => ({ line: m[0].trim(), image: m[1] }));
const image = /^node:(\d+(?:\.\d+)*)[^@]*(@sha256:[0-9a-f]{64})?$/;
if (froms.length === 0) problems.push('the Dockerfile has no FROM node:<version>');
else if (pin) {
  const other = references.filter((r) => image.exec(r.image)?.[1] !== pinned);
  const undigested = references.filter((r) => !image.exec(r.image)?.[2]);
  if (other.length) {
    problems.push(
      `Node.js other than .node-version (${pinned}): ${other.map((r) => r.line).join('; ')}`,
    );
  }
  if (undigested.length) {
    problems.push(
      `Node.js images not pinned by digest (node:${pinned}-slim@sha256:<digest>): ${undigested.map((r) => r.line).join('; ')}`,
    );
  }
  if (!other.length && !undigested.length && range) {
    ok(
      `Node.js ${pinned} (.node-version, within engines "${engines}") in the images, by digest (${[...new Set(references.map((r) => r.line))].join('; ')})`,
    );
  }
}

for (const problem of problems) process.stderr.write(`FAIL: ${problem}\n`);
process.exit(problems.length ? 1 : 0);
