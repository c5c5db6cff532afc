// Creates, when missing, the database and the service's login role (quick start, compose):
// connected as the owner (MIGRATION_DATABASE_URL, default DATABASE_URL), it creates the database
// named there and, when DATABASE_URL names another user, that user as a login role with the
// password DATABASE_URL gives. What the role may do is granted by the migrations (README,
// "Database roles"). An existing role is left as it is: another install may use it.
const { Client } = require('pg');

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/ymera';

async function main() {
  const service = new URL(process.env.DATABASE_URL || DEFAULT_URL);
  const owner = new URL(process.env.MIGRATION_DATABASE_URL || service);
  const name = decodeURIComponent(owner.pathname.slice(1));
  const maintenance = new URL(owner);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      console.log(`Created database ${name}`);
    }
    const role = decodeURIComponent(service.username);
    if (role && role !== decodeURIComponent(owner.username)) {
      await createLoginRole(client, role, decodeURIComponent(service.password));
    }
  } finally {
    await client.end();
  }
}

async function createLoginRole(client, role, password) {
  const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (found.rowCount > 0) return;
  const withPassword = password ? ` PASSWORD ${client.escapeLiteral(password)}` : '';
  await client.query(`CREATE ROLE ${client.escapeIdentifier(role)} LOGIN${withPassword}`);
  console.log(`Created login role ${role} for the service (DATABASE_URL)`);
}

main().catch((error) => {
  console.error(`Could not create the database or the service role: ${error.message}`);
  process.exit(1);
});
