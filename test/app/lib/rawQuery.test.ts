import * as assert from 'node:assert';
import { app } from 'egg-mock/bootstrap';
import { Sequelize } from 'sequelize';
import { selectRowsIn } from '../../../app/lib/rawQuery';
import { registerUser } from '../../helpers/api';
import { resetDatabase } from '../../helpers/db';

describe('test/app/lib/rawQuery.test.ts', () => {
  before(async () => {
    await app.ready();
    await resetDatabase(app);
  });

  describe('selectRowsIn', () => {
    const byIds = (placeholders: string) => `SELECT id FROM \`user\` WHERE id IN (${placeholders}) ORDER BY id`;

    it('reads every chunk of a long id list: rows whose ids sit past the first 500, and past the 1,000th, are found', async () => {
      const users = [ await registerUser(app), await registerUser(app), await registerUser(app) ];
      const missing = Array.from({ length: 1200 }, (_, i) => 2_000_000_000 + i);
      // One real id in each of the three chunks (positions 0, 700 and 1,202 of 1,203).
      const ids = [ users[0].id, ...missing.slice(0, 699), users[1].id, ...missing.slice(699), users[2].id ];
      const rows = await selectRowsIn<{ id: number }>(app.model as unknown as Sequelize, byIds, ids);
      assert.deepStrictEqual(rows.map(row => Number(row.id)).sort((a, b) => a - b), users.map(u => u.id).sort((a, b) => a - b));
    });

    it('an empty list runs no statement and reads nothing', async () => {
      assert.deepStrictEqual(await selectRowsIn(app.model as unknown as Sequelize, () => 'SELECT broken SQL', []), []);
    });
  });
});
