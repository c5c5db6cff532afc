// Creates the database named in DATABASE_URL when it does not exist yet (quick start, compose).
const { Client } = require('pg');

async function main() {
  const target = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/ymera');
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(target);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      console.log(`Created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

main().catch((error) => {
  console.error(`Could not create the database: ${error.message}`);
  process.exit(1);
});
