import { Service } from 'egg';
import { Sequelize, Transaction } from 'sequelize';
import { BusinessError, HttpError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { AskPageFilter, AskRow, deleteEntry, findById, pageEntries, updateEntry } from '../repository/askanswer';
import { AdminActor } from './adminAuth';

/** What of an entry the audit log keeps as before/after. */
function snapshot(row: AskRow) {
  return { owner_type: row.owner_type, owner_id: row.owner_id, ask: row.ask, answer: row.answer };
}

/**
 * The console's auto-answers (issue 20 §3, the entries of issue 19): every owner's, read by viewers,
 * changed by operators; each write in one transaction with its audit row, through the chat side's
 * repository (the same statements, the same "duplicate question" rule).
 */
export default class AdminAskanswersService extends Service {
  private get db(): Sequelize {
    return this.ctx.model as unknown as Sequelize;
  }

  list(filter: AskPageFilter, limit: number): Promise<AskRow[]> {
    return pageEntries(this.db, filter, limit);
  }

  async detail(id: number): Promise<AskRow> {
    const row = await findById(this.db, id);
    if (!row) throw new HttpError(404, MSG.askMissing);
    return row;
  }

  /** Runs `work` on the entry (404 when absent) and writes the audit row (before → after) in the same transaction. */
  private change(actor: AdminActor, ip: string, action: string, id: number,
    work: (transaction: Transaction, row: AskRow, now: Date) => Promise<unknown>): Promise<void> {
    return this.service.adminAudit.change(actor, ip, action,
      { type: 'askanswer', id, load: transaction => findById(this.db, id, transaction), missing: MSG.askMissing, snapshot }, work);
  }

  async update(actor: AdminActor, ip: string, id: number, input: { ask: string; answer: string }): Promise<void> {
    await this.change(actor, ip, 'askanswer.update', id, async (transaction, row, now) => {
      const changed = await updateEntry(this.db, id, input.ask, input.answer, now, transaction);
      if (changed === 'duplicate') throw new BusinessError(MSG.askDuplicate);
      // MariaDB counts a row written with its own values as unchanged: absent only if it is gone.
      if (!changed && !await findById(this.db, id, transaction)) throw new HttpError(404, MSG.askMissing);
      return { ...snapshot(row), ask: input.ask, answer: input.answer };
    });
  }

  async remove(actor: AdminActor, ip: string, id: number): Promise<void> {
    await this.change(actor, ip, 'askanswer.delete', id, async transaction => {
      if (!await deleteEntry(this.db, id, transaction)) throw new HttpError(404, MSG.askMissing);
      return { deleted: true };
    });
  }
}
