// The checks of docker-compose.yml that need no Docker: scripts/check-compose.sh runs them first,
// and where no compose CLI exists they are all that is checked (it says so). Exits 1 on a problem.
//  - the file parses as YAML (with js-yaml when node_modules has it, else a structural check only)
//    and has services, each with an image or a build,
//  - every variable it interpolates (${VAR}, ${VAR:-default}, ${VAR:?message}) is documented in
//    .env.example, as a line or a commented one,
//  - the Node.js major of its images (the Dockerfile's FROM node:<major>, any node:<major> image)
//    is the one package.json engines asks for.
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

const engines = JSON.parse(read('package.json')).engines?.node ?? '';
const major = /(\d+)/.exec(engines)?.[1];
const froms = [...read('Dockerfile').matchAll(/^FROM\s+(?:--\S+\s+)*node:(\d+)\S*/gim)];
const images = [...uncommented.matchAll(/^\s*image:\s*['"]?node:(\d+)\S*/gm)];
if (!major) problems.push('package.json has no engines.node');
else if (froms.length === 0) problems.push('the Dockerfile has no FROM node:<major>');
else {
  const wrong = [...froms, ...images].filter((m) => m[1] !== major).map((m) => m[0].trim());
  if (wrong.length) {
    problems.push(`Node.js major other than engines "${engines}" (${major}): ${wrong.join('; ')}`);
  } else {
    ok(
      `Node.js ${major} in the images (${froms.map((m) => m[0].trim()).join('; ')}) as engines "${engines}"`,
    );
  }
}

for (const problem of problems) process.stderr.write(`FAIL: ${problem}\n`);
process.exit(problems.length ? 1 : 0);
