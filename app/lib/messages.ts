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
} as const;
