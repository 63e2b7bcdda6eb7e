import { randomUUID } from 'node:crypto';

/** Who a notice is from or to, as the client shows them. */
export interface Person { id: number; name: string; avatar: string }

const APPLY_AVATAR = 'https://docs-51yrc-com.oss-cn-hangzhou.aliyuncs.com/chat/group.png';

function text(data: string) {
  return { data, dataType: false, otherData: null };
}

/** The original's push to the target of a friend application (leads to the applications page). */
export function applyNotice(applicant: Person, target: Person) {
  const fromId = `redirect-applyFriend-${applicant.id}`;
  return {
    id: randomUUID(),
    from_avatar: APPLY_AVATAR,
    from_name: '好友申请提醒',
    from_id: fromId,
    to_id: target.id,
    to_name: target.name,
    to_avatar: target.avatar,
    chatType: 'single',
    type: 'text',
    data: text(`用户[${applicant.name}]申请添加您为好友，请尽快处理`),
    redirect: { url: '/pages/applyMyfriend/applyMyfriend', type: 'navigateTo' },
    options: {},
    create_time: Date.now(),
    isremove: 0,
    msgidKey: fromId,
  };
}

/** The original's push to each side once they are friends: "from" the other side. */
export function friendsNowNotice(from: Person, to: Person) {
  return {
    id: randomUUID(),
    from_avatar: from.avatar,
    from_name: from.name,
    from_id: from.id,
    to_id: to.id,
    to_name: to.name,
    to_avatar: to.avatar,
    chatType: 'single',
    type: 'systemNotice',
    data: text('我们已经是好友了，可以开始聊天了'),
    options: {},
    create_time: Date.now(),
    isremove: 0,
  };
}
