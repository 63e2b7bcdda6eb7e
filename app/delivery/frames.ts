/**
 * Every frame the server sends on /ws, in one place (docs/asyncapi.yaml describes them). Text frames of
 * JSON; the shapes are the original's, which the course client reads.
 */
export const FRAME_TEXT = {
  welcome: '欢迎您访问我们的系统！',
  forceLogout: '你的账号在其他设备登录',
  disabled: '你已被管理员禁用',
  missingToken: '缺少 token 参数',
  // Issue 19. New: the frame before the close of the other sessions' sockets when the password changed.
  passwordChanged: '密码已修改，请重新登录',
  // The original's note to an auto-answer's owner, followed by the answer.
  askReplyNote: '系统根据您设置的问答数据，挑选了最接近的答案，回复给对方，回复内容是：\n\n ',
} as const;

/** Close codes (4000–4999 are the application's). Never 1006: the client treats any other code as "logged out". */
export const CLOSE = {
  /** The token was refused at connect, or the session ended (logout). */
  sessionEnded: 4001,
  /** Another login or another socket of the account took over. */
  forceLogout: 4002,
  /** The account was disabled or deleted. */
  disabled: 4003,
  /** Too many frames, or a binary frame. */
  policy: 1008,
} as const;

/** `{type:'singleChat', data, timestamp}` around an inbox payload that is already JSON. */
export function chatFrame(payload: string): string {
  return `{"type":"singleChat","data":${payload},"timestamp":${Date.now()}}`;
}

export function systemFrame(text: string): string {
  return JSON.stringify({ type: 'system', data: text, timestamp: Date.now() });
}

/** The original's application heartbeat (every 30 s) and its answer to a client's `{type:'ping'}`. */
export function pingFrame(): string {
  return JSON.stringify({ type: 'ping', timestamp: Date.now() });
}

export function pongFrame(): string {
  return JSON.stringify({ type: 'pong', timestamp: Date.now() });
}

/** The contract's failure shape, sent before a close. */
export function failFrame(message: string): string {
  return JSON.stringify({ msg: 'fail', data: message });
}

export function forceLogoutFrame(): string {
  return JSON.stringify({ msg: 'force_logout', data: FRAME_TEXT.forceLogout });
}
