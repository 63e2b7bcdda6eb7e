import { text } from './rules';

const UUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** `:uuid` in a path: a user's uuid (36 characters, the original's label). */
export const uuidRules = {
  uuid: text('uuid值', { min: 36, max: 36, pattern: UUID_PATTERN, patternHint: '必须是 uuid 格式' }),
};
