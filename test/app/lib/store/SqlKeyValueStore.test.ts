import { app } from 'egg-mock/bootstrap';
import { Sequelize } from 'sequelize';
import { SqlKeyValueStore } from '../../../../app/lib/store/SqlKeyValueStore';
import { behavesAsKeyValueStore } from './storeContract';

/** The embedded profile's store, on this run's database (SQLite, or MySQL with DATABASE_URL). */
describe('test/app/lib/store/SqlKeyValueStore.test.ts', () => {
  let store: SqlKeyValueStore;
  before(async () => {
    await app.ready();
    store = new SqlKeyValueStore(app.model as unknown as Sequelize);
  });

  behavesAsKeyValueStore(() => store, work => app.transaction(work));
});
