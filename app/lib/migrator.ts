import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sequelize, DataTypes } from 'sequelize';

export const MIGRATIONS_DIR = path.join(__dirname, '..', '..', 'database', 'migrations');

/**
 * Applies pending sequelize-cli migrations, recording them in the same `SequelizeMeta` table that
 * `npm run migrate` uses, so the two can be mixed freely. Returns the names it applied.
 */
export async function runPendingMigrations(sequelize: Sequelize, dir = MIGRATIONS_DIR): Promise<string[]> {
  const queryInterface = sequelize.getQueryInterface();
  await queryInterface.createTable('SequelizeMeta', {
    name: { type: DataTypes.STRING, allowNull: false, unique: true, primaryKey: true },
  });
  const [ rows ] = await sequelize.query('SELECT name FROM SequelizeMeta');
  const done = new Set((rows as Array<{ name: string }>).map(row => row.name));
  const files = fs.readdirSync(dir).filter(file => file.endsWith('.js')).sort();
  const applied: string[] = [];
  for (const file of files) {
    if (done.has(file)) continue;
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const migration = require(path.join(dir, file));
    await migration.up(queryInterface, Sequelize);
    await queryInterface.bulkInsert('SequelizeMeta', [{ name: file }]);
    applied.push(file);
  }
  return applied;
}

/** Reverts every applied migration, newest first (used by the migration tests). */
export async function revertAllMigrations(sequelize: Sequelize, dir = MIGRATIONS_DIR): Promise<void> {
  const queryInterface = sequelize.getQueryInterface();
  const [ rows ] = await sequelize.query('SELECT name FROM SequelizeMeta ORDER BY name DESC');
  for (const { name } of rows as Array<{ name: string }>) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    await require(path.join(dir, name)).down(queryInterface, Sequelize);
    await queryInterface.bulkDelete('SequelizeMeta', { name });
  }
}
