import { Service } from 'egg';
import { BusinessError } from '../lib/errors';
import { MSG } from '../lib/messages';
import { AuthenticatedUser } from '../extend/context';
import type { MessageObject, SendInput } from './message';

/** sendmessage and revokeMessage with chatType 'group': stored once, one group_log entry per message. */
export default class GroupMessageService extends Service {
  async send(_me: AuthenticatedUser, _input: SendInput): Promise<MessageObject> {
    throw new BusinessError(MSG.groupUnavailable);
  }

  async revoke(_me: AuthenticatedUser, _messageUuid: string): Promise<MessageObject> {
    throw new BusinessError(MSG.groupUnavailable);
  }
}
