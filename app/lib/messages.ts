/** Every message a person sees, exactly as the contract (shared/spec/API.md) spells it. */
export const MSG = {
  notFound: '404 错误',
  internal: '服务器内部错误',
  unavailable: '服务暂不可用，请稍后再试',
  badBody: '请求体格式错误',
  bodyTooLarge: '请求体过大',
  tooManyAttempts: '尝试次数过多，请稍后再试',

  authMissing: '您没有权限访问即时通讯接口',
  authExpired: 'Token已过期！请重新获取令牌',
  authInvalid: 'Token 令牌不合法！',
  authUserDisabled: '当前用户不存在或者已被禁用',

  usernameTaken: '该账号已存在，请换一个账号注册',
  accountMissingOrDisabled: '账号不存在或者被禁用',
  wrongPassword: '账户或密码错误',

  applySelf: '不能添加自己为好友',
  applyTargetMissing: '添加的好友不存在',
  applyAlreadyFriends: '你们已经是好友了',
  applyBlocked: '对方拒绝添加你为好友',
  applyDuplicate: '您已经申请过了，请勿重复申请',
  applyNotPending: '申请不存在或已处理',

  friendMissing: '好友不存在',
  friendMissingOrBlack: '好友不存在或者被拉黑，无法操作',

  // Visitors (the original's texts; the signature check is anti-abuse friction, see SECURITY.md).
  visitorSignMissing: '非法访问',
  visitorSignInvalid: '非法签名',
  visitorSignExpired: '请求已过期',
  visitorDeviceInvalid: '无效标识',
  visitorTooFrequent: '请求过于频繁，请1个小时后再试',
  visitorForbidden: '您没有权限访问，请先注册或登录',

  // Profiles, settings and the friend routes the client calls.
  userMissing: '用户不存在',
  applyFromUserMissing: '用户申请信息不存在',
  notMyFriend: '不是好友',
  deleteNotFriends: '不是好友关系，无权操作',
  friendDeleted: '删除好友成功',
  userSetTargetInvalid: '用户不存在或者为游客，无法加为好友',
  autoAddNeedsApproval: '需要对方审核，不能自动加对方为好友',
  usernameReadonly: '账号不可修改',
  nicknameUpdated: '修改昵称成功',
  avatarUpdated: '头像更新成功',
  settingUpdated: '设置成功',

  // Messages (sendmessage / revokeMessage): the original's texts where it had them.
  recipientUnavailable: '对方不存在或者被禁用，不能发消息',
  blockedByRecipient: '对方把你拉黑了，不能发送消息',
  blockedByRecipientVisitor: '对方把你拉黑了，不能发消息',
  relationDisabled: '系统把你们拉黑了，不能发送消息',
  relationDisabledVisitor: '系统把你们拉黑了，不能发消息',
  strangerNeedsFriendship: '对方设置成：需要您先成为他的好友才能发消息',
  strangerNeedsLogin: '你们不是好友关系，对方设置成：先登录才能发消息',
  strangerOneMessage: '在成为好友之前，对方只允许向他发一条消息',
  groupUnavailable: '群不存在或者已解散或者被封禁，无法发消息',
  sendToSelf: '不能给自己发消息',
  sendTooFrequent: '发送消息过于频繁，请稍后再试',
  messageMissing: '消息不存在或者不是您发送的',
  revokeTooLate: '消息超过5分钟，不能撤回',
  // Group messages (sendmessage / revokeMessage with chatType group).
  notInGroupSend: '您不在群里，无法发消息',
  notInGroupRevoke: '你不在该群聊中，操作失败',

  // Group routes (issue 13; docs/design/groups.md §3): the original's texts; the ones marked "new" are not
  // the original's (docs/COMPATIBILITY.md).
  groupCreateNoUsers: '请选择加入群聊的用户',
  groupCreateUsersMissing: '用户不存在，无法加入群聊',
  groupInfoMissing: '群不存在或被封禁',
  groupRenameOwnerOnly: '只有群主才能修改群名称',
  groupRemarkOwnerOnly: '只有群主才能修改群公告',
  groupNicknameNotMember: '你不在该群聊中，无法修改昵称',
  groupQuitMissing: '群不存在',
  groupQrcodeRefused: '群不存在或被封禁或者您不在该群聊中',
  qrcodeUserMissing: '用户不存在或被封禁',
  groupOwnerOnly: '只有群主才能操作',
  groupOwnerRemoveSelf: '群主不能删除自己',
  groupRemoveNotMember: '该用户不在群聊中', // new
  groupMemberRemoved: '删除群成员成功',
  groupInviteUnavailable: '群不存在或者被封禁',
  groupInviteWaiting: '已申请加入群聊，正在等待群主同意',
  groupInviteAlreadyIn: '用户已经在群里',
  groupInviteUserMissing: '加群的用户不存在或已被封禁，无法加入群聊',
  groupInviteLoginFirst: '请先登录再申请进群',
  groupInviteNotFriend: '只能邀请你的好友进群', // new
  groupJoined: '加群成功',
  groupJoinPending: '等待群主同意',
  groupManageRefused: '群不存在或者被封禁或者你无权操作',
  groupAgreeIllegal: '非法操作',
  groupAgreeUserMissing: '用户不存在或者被封禁',
  groupHandled: '处理成功',
  groupMembersFull: '群成员已满，无法加入', // new
  groupTooMany: '加入的群聊数量已达上限', // new
  groupInviteTooFrequent: '今天邀请进群的次数已达上限，请明天再试', // new
  groupQrcodeOriginRefused: '网址域名不在允许的范围内', // new

  // Media (issue 14): all new, the original answered its exceptions' own text.
  mediaKindRefused: '不支持的文件格式，只能上传图片（jpg、png、gif、webp）、语音（mp3、m4a、aac、wav、amr）或视频（mp4、mov、webm）',
  mediaKindNotForDir: '该目录只能上传图片',
  mediaTooLarge: '文件过大',
  mediaStorageFull: '服务器存储空间不足，请稍后再试',
  mediaObjectStorageMissing: '未配置对象存储，请改用 /api/chat/uploadStreamSingleToServerDiy 上传',
  mediaObjectStorageDown: '对象存储暂不可用，请稍后再试',
  mediaUploadTooFrequent: '上传过于频繁，请稍后再试',
  mediaQuotaReached: '今天的上传次数已达上限，请明天再试',
  mediaVideoMissing: '视频不存在或者不是您上传的',
  mediaCoverFailed: '无法从该视频截取封面',
  mediaCoverUnavailable: '视频封面服务暂不可用',

  // Account care (issue 19): setPassword with the original's texts; the ones marked "new" are not the original's.
  passwordMismatch: '新密码与确认新密码不一致',
  passwordVisitorRefused: '您未登录，无法修改密码',
  passwordUserMissing: '用户不存在，无法修改密码',
  passwordOldWrong: '原始密码错误，无法修改密码',
  passwordChanged: '修改密码成功',
  // Auto-answers (issue 19): the original's texts, and new ones for what it did not refuse.
  askDeleted: '删除成功',
  askMissing: '问答不存在',
  askNoMatch: '未找到相关问答',
  askNotYours: '只能管理自己或自己创建的群的问答', // new
  askTooMany: '问答数量已达上限', // new
  askDuplicate: '该问题已存在', // new
} as const;

/** The admin console's texts (issue 20); the English pages translate them (config/locale/en-US.json). */
export const ADMIN_MSG = {
  loginFailed: '账号或密码错误',
  loginRequired: '请先登录后台',
  sessionExpired: '登录已过期，请重新登录',
  forbidden: '您无权操作此项功能',
  csrfInvalid: '页面已过期或请求来源无效，请刷新后重试',
  ipRefused: '404 错误',
  userMissing: '即时通讯用户不存在',
  usernameTaken: '即时通讯用户账号已存在',
  avatarInvalid: '头像必须是 http(s) 图片地址',
  adminMissing: '管理员不存在',
  adminTaken: '管理员账号已存在',
  adminSelf: '不能禁用自己',
  adminPasswordWeak: '密码至少 10 位，且同时包含字母和数字，不能包含账号',
} as const;
