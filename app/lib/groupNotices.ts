import { randomUUID } from 'node:crypto';
import { formatLocalDateTime } from './time';
import type { GroupRow } from '../repository/group';

// The group notices the original pushes (docs/design/groups.md §2 "Notice envelope", §3), as frame data.

/** The avatar and name of the original's "join" notices. */
export const GROUP_NOTICE_AVATAR = 'https://docs-51yrc-com.oss-cn-hangzhou.aliyuncs.com/chat/group.png';

/** What every group push carries as `group`: the group's columns, never its members (COMPATIBILITY.md). */
export interface GroupSnapshot {
  id: number; uuid: string; user_id: number; name: string; avatar: string; remark: string; invite_confirm: number;
  status: number; order: number; create_time: string | null;
}

/** Who a notice is from: a member's group name and avatar, or a system sender. */
export interface Sender { id: number | string; name: string; avatar: string }

/** The group's public columns as the answers and pushes show them (no delivery columns, no update_time). */
export function groupSnapshot(group: GroupRow, timezone: string): GroupSnapshot {
  return {
    create_time: formatLocalDateTime(group.create_time, timezone), id: group.id, uuid: group.uuid, user_id: group.user_id,
    name: group.name, avatar: group.avatar, remark: group.remark, invite_confirm: group.invite_confirm, status: group.status, order: group.order,
  };
}

function text(data: string) {
  return { data, dataType: false, otherData: null };
}

/** A system notice in the group's conversation (appended to the group's log). */
export function groupNotice(from: Sender, group: GroupSnapshot, data: string) {
  return {
    id: randomUUID(),
    from_avatar: from.avatar,
    from_name: from.name,
    from_id: from.id,
    to_id: group.id,
    to_name: group.name,
    to_avatar: group.avatar,
    chatType: 'group',
    type: 'systemNotice',
    data: text(data),
    options: {},
    create_time: Date.now(),
    isremove: 0,
    group,
  };
}

/** The original's `from_id` of join notices and approval requests (the client finds the request by it). */
export function joinKey(groupId: number, userId: number): string {
  return `redirect-applyAddGroup${groupId}-${userId}-${Date.now()}`;
}

/** "[inviter]邀请 " when a registered member invited someone, else nothing (G 950–984). */
export function inviterPrefix(inviterName: string | null): string {
  return inviterName ? `[${inviterName}]邀请 ` : '';
}

export const noticeText = {
  created: (creator: string) => `${creator}创建了一个群，大家可以开始聊天了`,
  renamed: (name: string) => `群名称修改为：${name}`,
  remark: (remark: string) => `[公告] \n\n ${remark}`,
  joined: (prefix: string, joiner: string) => `${prefix}[${joiner}] 加入了群聊`,
  // New: the original pushes nothing on a removal.
  removed: (member: string) => `[${member}] 已被群主移出群聊`,
  quit: (member: string, time: string) => `${member}于 ${time} 已退出群聊`,
  dissolved: (time: string) => `群主于 ${time} 解散了该群`,
  // New: the original has no owner change (the console's deletion of an owner, docs/COMPATIBILITY.md).
  ownerChanged: (owner: string) => `原群主账号已注销，[${owner}] 成为新群主`,
  approval: (prefix: string, joiner: string, groupName: string) => `请处理申请 ${prefix}[${joiner}] 加入了群[${groupName}]`,
};

/** "X joined": a notice to every active member, the newcomer included (G 1105–1138). */
export function joinedNotice(group: GroupSnapshot, joinerId: number, data: string) {
  const key = joinKey(group.id, joinerId);
  return groupNotice({ id: key, name: '加群申请提醒', avatar: GROUP_NOTICE_AVATAR }, group, data);
}

export interface ApprovalRequest {
  group: GroupSnapshot;
  owner: Sender;
  joiner: { id: number; uuid: string; name: string; avatar: string; role: string };
  /** The inviter's name, or null for a user asking to join. */
  inviterName: string | null;
  addGroupDesc: string;
}

/**
 * The approval request to the owner alone, as a single-chat text that opens the client's approval page
 * (G 1139–1198). Every query value of the link is encoded (the original left the applicant's name raw).
 */
export function approvalRequest(request: ApprovalRequest) {
  const { group, owner, joiner, inviterName, addGroupDesc } = request;
  const key = joinKey(group.id, joiner.id);
  const desc = {
    addGroupUserType: inviterName ? '邀请进群' : '用户自主进群',
    inviteUser: inviterName ?? '',
    addGroupTime: Date.now(),
    addGroupDesc,
    addGroupUserRole: joiner.role,
    msgidKey: key,
  };
  const enc = encodeURIComponent;
  const url = `/pages/setpageInfo/setpageInfo?action=applyAddGroup&title=${enc('加群申请')}&id=${group.id}&name=${enc(group.name)}` +
    `&avatar=${enc(group.avatar)}&chatType=group&applyUserid=${joiner.id}&applyUsername=${enc(joiner.name)}&applyUseruuid=${joiner.uuid}` +
    `&applyUseravatar=${enc(joiner.avatar)}&applydesc=${enc(JSON.stringify(desc))}`;
  return {
    id: randomUUID(),
    from_avatar: GROUP_NOTICE_AVATAR,
    from_name: '加群处理',
    from_id: key,
    to_id: owner.id,
    to_name: owner.name,
    to_avatar: owner.avatar,
    chatType: 'single',
    type: 'text',
    data: text(noticeText.approval(inviterPrefix(inviterName), joiner.name, group.name)),
    options: {},
    create_time: Date.now(),
    isremove: 0,
    group,
    msgidKey: key,
    redirect: { url, type: 'navigateTo', desc },
  };
}
