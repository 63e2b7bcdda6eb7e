/**
 * The system tips a socket receives when it opens (issue 19): the original's messages that lead to the
 * client's pages, each a chat message object from a `redirect-<page>-<user id>` sender with a `redirect`
 * link, in the original's order (the client lists the newest on top). Every text, icon and page URL is
 * here and nowhere else; config `chat.care.tips` switches them on or off (docs/COMPATIBILITY.md).
 */

const ICONS = 'https://docs-51yrc-com.oss-cn-hangzhou.aliyuncs.com/chat';

export type TipName = 'setPassword' | 'groupList' | 'friendsList' | 'userInfoSet' | 'whoCanChatMe' | 'myQrcode' | 'search' |
'applyAddMeFriendSet' | 'AskAndAnswerSet' | 'visitorLogin';

interface TipText { name: string; avatar: string; text: string; url: string }

const setpage = (action: string, title: string) => `/pages/setpageInfo/setpageInfo?action=${action}&title=${encodeURIComponent(title)}`;

/** The tips' texts, senders' names, icons and pages (the original's). */
export const TIP_TEXTS: Record<Exclude<TipName, 'userInfoSet' | 'myQrcode'>, TipText> & Record<'userInfoSet' | 'myQrcode', Omit<TipText, 'url'>> = {
  setPassword: { name: '修改密码', avatar: `${ICONS}/img/setPassword.png`, text: '您可以点击这里，修改密码', url: setpage('setPassword', '修改密码') },
  groupList: {
    name: '我的群聊', avatar: `${ICONS}/img/qunliaoNoticeIcon.png`, text: '可查看我加入的群聊列表',
    url: `/pages/applyMyfriend/applyMyfriend?action=grouplist&title=${encodeURIComponent('我的群聊列表')}`,
  },
  friendsList: { name: '我的通讯录', avatar: `${ICONS}/img/friendList.png`, text: '可查看我的通讯录好友', url: '/pages/friendsList/friendsList' },
  // The sender's avatar is the user's own; the URL carries where to go back to.
  userInfoSet: { name: '头像设置', avatar: '', text: '不满意你的头像可以更换' },
  whoCanChatMe: { name: '聊天消息条数限制', avatar: `${ICONS}/img/whoCanChatMe.png`, text: '谁可以和我聊天，可向我发几条消息', url: setpage('chatset', '和我聊天设置') },
  // The URL carries the user's id, name and avatar.
  myQrcode: { name: '我的二维码', avatar: `${ICONS}/img/myQrcode1.png`, text: '展示给别人加你为好友' },
  search: { name: '搜索加好友', avatar: `${ICONS}/img/search.png`, text: '搜索账号加好友或聊天', url: '/pages/search/search' },
  applyAddMeFriendSet: { name: '加我为好友时是否需要我验证', avatar: `${ICONS}/img/applyAddMeFriendSet.png`, text: '默认不需要，您可以去设置', url: setpage('applyAddMeFriendSet', '申请加我为好友设置') },
  AskAndAnswerSet: { name: '问答设置', avatar: `${ICONS}/img/AskAndAnswerSet.png`, text: '当您不在线时，自动回答客户的常见问题', url: setpage('AskAndAnswerSet', '问答设置') },
  visitorLogin: { name: '登录提示', avatar: `${ICONS}/kefu.png`, text: '欢迎您，登录可以获取更多功能！', url: '/pages/loginCenter/loginCenter' },
};

/** The original's order: a registered user's tips, a visitor's. groupList / friendsList only when there is something to list. */
export const USER_TIPS: readonly TipName[] = [ 'setPassword', 'groupList', 'friendsList', 'userInfoSet', 'whoCanChatMe', 'myQrcode', 'search', 'applyAddMeFriendSet', 'AskAndAnswerSet' ];
export const VISITOR_TIPS: readonly TipName[] = [ 'groupList', 'whoCanChatMe', 'visitorLogin' ];

export interface TipUser { id: number; username: string; nickname: string | null; avatar: string; role: string }

/** The message object of one tip, as the original builds it (a text message to the user, `msgidKey` = sender). */
export function tipMessage(tip: TipName, user: TipUser, id: string, now: number) {
  const text = TIP_TEXTS[tip];
  let url: string;
  let avatar = text.avatar;
  if (tip === 'userInfoSet') {
    url = `${setpage('userinfoSet', '账号信息设置')}&redirectUrl=${encodeURIComponent('/pages/xiaoxi/xiaoxi')}&redirectType=switchTab`;
    avatar = user.avatar;
  } else if (tip === 'myQrcode') {
    url = `/pages/setpageInfo/setpageInfo?action=groupQrcode&title=${encodeURIComponent('我的二维码')}&id=${user.id}` +
      `&name=${encodeURIComponent(user.nickname || user.username)}&avatar=${encodeURIComponent(user.avatar)}&chatType=single`;
  } else {
    url = (text as TipText).url;
  }
  const from = `redirect-${tip}-${user.id}`;
  return {
    id,
    from_avatar: avatar,
    from_name: text.name,
    from_id: from,
    to_id: user.id,
    to_name: user.nickname || user.username,
    to_avatar: user.avatar,
    chatType: 'single',
    type: 'text',
    data: { data: text.text, dataType: false, otherData: null },
    redirect: { url, type: 'navigateTo' },
    options: {},
    create_time: now,
    isremove: 0,
    group: {},
    msgidKey: from,
  };
}
