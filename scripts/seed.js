#!/usr/bin/env node
'use strict';
// Runs the seeders of database/seeders on the database chosen by the environment (database/config.js):
//   npm run seed:admin                    ADMIN_USERNAME / ADMIN_PASSWORD → an admin account (create or update)
//   npm run seed:demo -- --users 500      demo users, friendships and pending applications
// Unlike `sequelize-cli db:seed` (which runs a seeder once and records it), these can be run any number
// of times: both seeders are idempotent. SQLite (embedded profile): pending migrations are applied first,
// as the server does at start-up. MySQL: run `npm run migrate` first (or set DB_AUTO_MIGRATE=1).
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');
const { Sequelize } = require('sequelize');
const { databaseFromEnv } = require('../database/config');
const { seedAdmin, CredentialError } = require('../database/seeders/20250701000100-admin-user');
const { seedDemo, DEFAULT_PASSWORD } = require('../database/seeders/20250701000200-demo-data');
const consoleAdmins = require('../database/seeders/20261202000510-admin-console-owner');

const ROOT = path.join(__dirname, '..');
const USAGE = 'usage: node scripts/seed.js admin | demo [--users N] [--batch N] | console-admin [--role owner|operator|viewer] | console-dev-owner';

class UsageError extends Error {}

function parseArgs(argv) {
  const [ command, ...rest ] = argv;
  if (![ 'admin', 'demo', 'console-admin', 'console-dev-owner' ].includes(command)) throw new UsageError(USAGE);
  const options = { command, users: 100, batch: 500, role: 'owner' };
  for (let k = 0; k < rest.length; k++) {
    const role = /^--role(?:=(.*))?$/.exec(rest[k]);
    if (role) {
      options.role = role[1] !== undefined ? role[1] : rest[++k];
      continue;
    }
    const match = /^--(users|batch)(?:=(.*))?$/.exec(rest[k]);
    if (!match) throw new UsageError(`unknown argument "${rest[k]}"\n${USAGE}`);
    const raw = match[2] !== undefined ? match[2] : rest[++k];
    const value = Number(raw);
    if (!/^\d+$/.test(String(raw)) || value < 1) throw new UsageError(`--${match[1]} needs a positive integer, got "${raw}"`);
    options[match[1]] = value;
  }
  if (options.users > 999999) throw new UsageError('--users is at most 999999 (usernames demo_000001 … demo_999999)');
  return options;
}

function where(db) {
  return db.dialect === 'sqlite' ? `SQLite ${db.storage}` : `MySQL ${db.host}:${db.port}/${db.database}`;
}

/** The same migrations `npm run migrate` applies (sequelize-cli, recorded in SequelizeMeta). */
function migrate() {
  const cli = require.resolve('sequelize-cli/lib/sequelize');
  const run = spawnSync(process.execPath, [ cli, 'db:migrate' ], { cwd: ROOT, env: process.env, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`migrations failed:\n${run.stdout}${run.stderr}`);
}

async function schemaPresent(sequelize) {
  const tables = await sequelize.getQueryInterface().showAllTables();
  return tables.map(t => String(typeof t === 'string' ? t : t.tableName || t.name).toLowerCase()).includes('user');
}

function progressBar(total) {
  if (!process.stderr.isTTY) {
    let last = -1;
    return {
      update(phase, done) {
        const percent = Math.floor((done / total) * 100);
        if (percent >= last + 25 || done === total) { last = percent; console.error(`  ${phase}: ${percent}%`); }
      },
      stop() {},
    };
  }
  const cliProgress = require('cli-progress');
  const bar = new cliProgress.SingleBar({
    format: 'demo data [{bar}] {percentage}% | {value}/{total} | {phase}',
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, { phase: 'users' });
  return { update: (phase, done) => bar.update(done, { phase }), stop: () => bar.stop() };
}

/** Reads one line from the terminal; `hidden`: nothing is echoed (a password). */
function ask(question, hidden) {
  if (!process.stdin.isTTY) return Promise.reject(new consoleAdmins.ConsoleCredentialError(`no terminal to ask on: set ${hidden ? 'ADMIN_CONSOLE_PASSWORD' : 'ADMIN_CONSOLE_USERNAME'}`));
  const readline = require('node:readline');
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  if (hidden) rl._writeToOutput = text => { if (text.includes(question)) process.stdout.write(text); };
  return new Promise(resolve => rl.question(question, answer => {
    rl.close();
    if (hidden) process.stdout.write('\n');
    resolve(answer);
  }));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const db = databaseFromEnv();
  if (db.dialect === 'sqlite') fs.mkdirSync(path.dirname(db.storage), { recursive: true });
  if (db.dialect === 'sqlite' || process.env.DB_AUTO_MIGRATE === '1') migrate();

  const { database, username, password, ...rest } = db;
  const sequelize = new Sequelize(database, username, password, { ...rest, logging: false });
  try {
    try {
      await sequelize.authenticate();
    } catch (err) {
      throw new Error(`Cannot reach the database (${where(db)}): ${err.message}`);
    }
    // Another process (the running server) may be writing the same SQLite file: wait instead of SQLITE_BUSY.
    if (db.dialect === 'sqlite') await sequelize.query('PRAGMA busy_timeout = 10000');
    if (!await schemaPresent(sequelize)) {
      throw new Error(`no "user" table in ${where(db)}: run \`npm run migrate\` first (or set DB_AUTO_MIGRATE=1)`);
    }
    const queryInterface = sequelize.getQueryInterface();

    if (options.command === 'console-admin' || options.command === 'console-dev-owner') {
      const dev = options.command === 'console-dev-owner';
      if (dev && consoleAdmins.isProduction()) throw new consoleAdmins.ConsoleCredentialError('the development owner is never created in production');
      const username = dev ? consoleAdmins.DEV_OWNER.username : process.env.ADMIN_CONSOLE_USERNAME || await ask('admin username: ', false);
      const password = dev ? consoleAdmins.DEV_OWNER.password : process.env.ADMIN_CONSOLE_PASSWORD || await ask('password (not shown): ', true);
      const done = await consoleAdmins.seedConsoleAdmin(queryInterface, { username, password, role: dev ? 'owner' : options.role });
      console.log(`admin console account "${done.username}" ${done.created ? 'created' : 'updated'}: id ${done.id}, role ${done.role} (${where(db)})`);
      return;
    }

    if (options.command === 'admin') {
      const done = await seedAdmin(queryInterface, { username: process.env.ADMIN_USERNAME, password: process.env.ADMIN_PASSWORD });
      const how = done.created ? 'created' : done.promoted ? 'updated (promoted to admin)' : 'updated';
      console.log(`admin "${done.username}" ${how}: id ${done.id}, role admin, password set (${where(db)})`);
      return;
    }

    const started = Date.now();
    const bar = progressBar(options.users * 3);
    let done = 0;
    const counts = await seedDemo(queryInterface, {
      users: options.users,
      batchSize: options.batch,
      password: process.env.DEMO_PASSWORD || DEFAULT_PASSWORD,
      onProgress(phase, n) { done += n; bar.update(phase, done); },
    }).finally(() => bar.stop());
    console.log(`demo data (${options.users} users, ${where(db)}): added ${counts.users} users, ` +
      `${counts.friendships} goodfriend rows, ${counts.applications} pending applications ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s; password of every demo user: ` +
      `${process.env.DEMO_PASSWORD ? '$DEMO_PASSWORD' : DEFAULT_PASSWORD}`);
  } finally {
    await sequelize.close();
  }
}

main().catch(err => {
  const known = err instanceof CredentialError || err instanceof UsageError || err instanceof consoleAdmins.ConsoleCredentialError;
  console.error(`seed: ${known ? 'refused: ' : ''}${err.message}`);
  process.exit(known ? 2 : 1);
});
