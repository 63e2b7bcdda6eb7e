import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { isMysql, resetDatabase } from '../helpers/db';
import { runSeedScript as seed } from '../helpers/seedScript';
import { AdminClient } from '../helpers/admin';

// database/seeders/20261202000510-admin-console-owner.js through `npm run admin:create` / `admin:dev-owner`
// (scripts/seed.js console-admin | console-dev-owner), on the database of the running test app.

function appDatabaseEnv(): Record<string, string> {
  const options = app.config.sequelize as any;
  if (!isMysql(app)) return { SQLITE_FILE: options.storage };
  const auth = `${encodeURIComponent(options.username)}${options.password ? ':' + encodeURIComponent(options.password) : ''}`;
  return { DATABASE_URL: `mysql://${auth}@${options.host}:${options.port}/${options.database}` };
}

describe('test/database/adminConsoleSeeder.test.ts', () => {
  before(() => resetDatabase(app));

  it('npm run admin:create: from the environment, the owner logs in to /admin; a second run resets password and role', async () => {
    const env = { ...appDatabaseEnv(), ADMIN_CONSOLE_USERNAME: 'first_owner', ADMIN_CONSOLE_PASSWORD: 'Sturdy2026pass' };
    const run = await seed([ 'console-admin' ], env);
    assert.strictEqual(run.code, 0, run.stderr);
    assert.match(run.stdout, /"first_owner" created: id \d+, role owner/);
    assert.ok(!run.stdout.includes('Sturdy2026pass'), 'the password is never printed');
    const client = new AdminClient(app);
    assert.strictEqual((await client.login('first_owner', 'Sturdy2026pass')).status, 302);
    assert.match((await client.get('/admin')).text, /first_owner \(所有者\)/);

    const again = await seed([ 'console-admin', '--role', 'viewer' ], { ...env, ADMIN_CONSOLE_PASSWORD: 'Another2026pass' });
    assert.strictEqual(again.code, 0, again.stderr);
    assert.match(again.stdout, /updated: id \d+, role viewer/);
    assert.strictEqual((await new AdminClient(app).login('first_owner', 'Sturdy2026pass')).status, 400);
    assert.strictEqual((await new AdminClient(app).login('first_owner', 'Another2026pass')).status, 302);
  });

  it('refuses weak passwords, unknown roles, and asking without a terminal; never a default password', async () => {
    const env = appDatabaseEnv();
    const cases: Array<[ string[], Record<string, string>, RegExp ]> = [
      [[ 'console-admin' ], { ADMIN_CONSOLE_USERNAME: 'weakling', ADMIN_CONSOLE_PASSWORD: 'short1' }, /10-64 characters/ ],
      [[ 'console-admin' ], { ADMIN_CONSOLE_USERNAME: 'weakling', ADMIN_CONSOLE_PASSWORD: 'onlyletterslong' }, /letters and digits/ ],
      [[ 'console-admin' ], { ADMIN_CONSOLE_USERNAME: 'weakling', ADMIN_CONSOLE_PASSWORD: 'weakling2026x' }, /must not contain the username/ ],
      [[ 'console-admin', '--role', 'god' ], { ADMIN_CONSOLE_USERNAME: 'weakling', ADMIN_CONSOLE_PASSWORD: 'Sturdy2026pass' }, /role must be one of/ ],
      [[ 'console-admin' ], { ADMIN_CONSOLE_USERNAME: 'weakling' }, /no terminal to ask on: set ADMIN_CONSOLE_PASSWORD/ ],
      [[ 'console-dev-owner' ], { EGG_SERVER_ENV: 'prod' }, /never created in production/ ],
    ];
    for (const [ args, extra, message ] of cases) {
      const run = await seed(args, { ...env, ...extra });
      assert.strictEqual(run.code, 2, `${args.join(' ')} ${JSON.stringify(extra)}: ${run.stdout}${run.stderr}`);
      assert.match(run.stderr, message);
    }
    const [{ n }] = await app.model.query("SELECT COUNT(*) AS n FROM admin_users WHERE username IN ('weakling', 'owner')", { type: 'SELECT' }) as any[];
    assert.strictEqual(Number(n), 0);
  });

  it('npm run admin:dev-owner: the known development owner (outside production only)', async () => {
    const run = await seed([ 'console-dev-owner' ], appDatabaseEnv());
    assert.strictEqual(run.code, 0, run.stderr);
    assert.strictEqual((await new AdminClient(app).login('owner', 'DevConsole2026')).status, 302);
  });
});
