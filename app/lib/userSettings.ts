import { ValidationError } from './errors';

/**
 * `userset`: the JSON string of a user's settings, as the client saves it through POST /api/chat/userset.
 * Today it holds `chatset`: how many messages a visitor / a registered stranger may send before being a
 * friend (0 none, 1 one message, 2 no limit). The client has saved two forms over its versions: a number
 * per role, and `{sendCount, needFollow}`; both are accepted and kept as sent.
 */
export const DEFAULT_USERSET = JSON.stringify({
  chatset: { visitor: { sendCount: 1, needFollow: false }, user: { sendCount: 1, needFollow: false } },
});

const LABEL = '用户设置';
/** The largest settings JSON accepted, in characters. */
export const USERSET_MAX_LENGTH = 2000;
const SEND_COUNTS = [ 0, 1, 2 ];

type ChatRoleSetting = number | { sendCount: number; needFollow: boolean };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function roleSetting(value: unknown, role: string): ChatRoleSetting {
  if (typeof value === 'number' && SEND_COUNTS.includes(value)) return value;
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.every(key => key === 'sendCount' || key === 'needFollow') &&
      typeof value.sendCount === 'number' && SEND_COUNTS.includes(value.sendCount) &&
      (value.needFollow === undefined || typeof value.needFollow === 'boolean')) {
      return { sendCount: value.sendCount, needFollow: value.needFollow === true };
    }
  }
  throw new ValidationError(`${LABEL} chatset.${role} 必须是 0、1、2 或 {sendCount: 0|1|2, needFollow: true|false}`);
}

/** Checks the client's JSON and returns it in canonical form; a 422 names what is wrong. */
export function normalizeUserset(raw: string): string {
  if (raw.length > USERSET_MAX_LENGTH) throw new ValidationError(`${LABEL} 的长度 不能超过 ${USERSET_MAX_LENGTH}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ValidationError(`${LABEL} 必须是 JSON 字符串`);
  }
  if (!isPlainObject(parsed)) throw new ValidationError(`${LABEL} 必须是 JSON 对象`);
  const unknown = Object.keys(parsed).find(key => key !== 'chatset');
  if (unknown !== undefined) throw new ValidationError(`${LABEL} 不支持 ${JSON.stringify(unknown).slice(0, 40)}，只能包含 chatset`);
  if (parsed.chatset === undefined) return '{}';
  const { chatset } = parsed;
  if (!isPlainObject(chatset) || Object.keys(chatset).some(key => key !== 'visitor' && key !== 'user')) {
    throw new ValidationError(`${LABEL} chatset 只能包含 visitor 和 user`);
  }
  const normalized: Record<string, ChatRoleSetting> = {};
  for (const role of [ 'visitor', 'user' ]) {
    if (chatset[role] !== undefined) normalized[role] = roleSetting(chatset[role], role);
  }
  return JSON.stringify({ chatset: normalized });
}

/** What a profile shows: the saved settings, or the defaults the server applies when none were saved. */
export function effectiveUserset(saved: string | null | undefined): string {
  return saved ? saved : DEFAULT_USERSET;
}
