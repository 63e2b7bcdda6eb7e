'use strict';
const { createTableUnlessExists, ensureIndex, caseInsensitiveString, enumColumn } = require('../lib/schema');

// The admin console (issue 20). Operators are not chat users: their accounts live in `admin_users`
// (a chat token never opens /admin, an admin session never opens /api/chat/*). Every admin write — done
// or refused — is one `admin_audit_log` row; the application only ever inserts into it (append-only).
module.exports = {
  async up(queryInterface, Sequelize) {
    const { INTEGER, BIGINT, STRING, TEXT, TINYINT, DATE } = Sequelize;
    await createTableUnlessExists(queryInterface, 'admin_users', {
      id: { type: INTEGER.UNSIGNED, primaryKey: true, autoIncrement: true },
      username: { type: caseInsensitiveString(queryInterface, Sequelize, 50), allowNull: false },
      password: { type: STRING(255), allowNull: false, comment: 'scrypt (app/lib/password.ts)' },
      role: { type: enumColumn(queryInterface, Sequelize, 'role', [ 'owner', 'operator', 'viewer' ]), allowNull: false, defaultValue: 'viewer' },
      status: { type: TINYINT, allowNull: false, defaultValue: 1, comment: '1 enabled, 0 disabled' },
      last_login: { type: DATE, allowNull: true },
      last_login_ip: { type: STRING(45), allowNull: true },
      create_time: { type: DATE, allowNull: true },
      update_time: { type: DATE, allowNull: true },
    });
    await ensureIndex(queryInterface, 'admin_users', [ 'username' ], { name: 'admin_users_username_unique', unique: true });

    await createTableUnlessExists(queryInterface, 'admin_audit_log', {
      id: { type: BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      admin_id: { type: INTEGER.UNSIGNED, allowNull: true, comment: 'null: no session (a refused login)' },
      admin_username: { type: STRING(50), allowNull: false, defaultValue: '' },
      action: { type: STRING(40), allowNull: false, comment: 'user.disable, user.create, admin.login …' },
      target_type: { type: STRING(20), allowNull: false, defaultValue: '' },
      target_id: { type: INTEGER.UNSIGNED, allowNull: true },
      outcome: { type: STRING(10), allowNull: false, comment: 'ok, denied, failed' },
      before_json: { type: TEXT, allowNull: true },
      after_json: { type: TEXT, allowNull: true },
      ip: { type: STRING(45), allowNull: false, defaultValue: '' },
      create_time: { type: DATE, allowNull: false },
    });
    await ensureIndex(queryInterface, 'admin_audit_log', [ 'admin_id', 'id' ], { name: 'admin_audit_admin' });
    await ensureIndex(queryInterface, 'admin_audit_log', [ 'action', 'id' ], { name: 'admin_audit_action' });
    await ensureIndex(queryInterface, 'admin_audit_log', [ 'target_type', 'target_id', 'id' ], { name: 'admin_audit_target' });
    // The dashboard's registrations per day, and the users page's role/status filters (keyset on id).
    await ensureIndex(queryInterface, 'user', [ 'register_time' ], { name: 'user_register_time' });
    await ensureIndex(queryInterface, 'user', [ 'role', 'status', 'id' ], { name: 'user_role_status_id' });
    await ensureIndex(queryInterface, 'message', [ 'create_time' ], { name: 'message_create_time' });
  },

  async down(queryInterface) {
    await queryInterface.removeIndex('message', 'message_create_time').catch(() => undefined);
    await queryInterface.removeIndex('user', 'user_role_status_id').catch(() => undefined);
    await queryInterface.removeIndex('user', 'user_register_time').catch(() => undefined);
    await queryInterface.dropTable('admin_audit_log');
    await queryInterface.dropTable('admin_users');
  },
};
