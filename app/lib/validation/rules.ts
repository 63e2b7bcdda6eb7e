import * as querystring from 'node:querystring';
import { ValidationError } from '../errors';

// Rule types registered with egg-validate's engine (parameter). Each rule carries the field's Chinese
// label so every message names the field the way the original client shows it.

interface BaseRule { label: string; required: boolean; default?: unknown; message: { required: string } }
export interface TextRule extends BaseRule { type: 'chat_text'; min: number; max: number; pattern?: RegExp; patternHint?: string }
export interface IntegerRule extends BaseRule { type: 'chat_integer'; min: number; max: number }
export interface ChoiceRule extends BaseRule { type: 'chat_choice'; values: readonly string[] }
export type FieldRule = TextRule | IntegerRule | ChoiceRule;
export type Rules = Record<string, FieldRule>;

const INT32_MAX = 2147483647;

function base(label: string, required: boolean, fallback?: unknown): BaseRule {
  return { label, required, default: fallback, message: { required: `${label}不能为空` } };
}

export function text(label: string, options: { min?: number; max: number; required?: boolean; pattern?: RegExp; patternHint?: string; default?: string }): TextRule {
  const required = options.required ?? true;
  return { ...base(label, required, options.default), type: 'chat_text', min: options.min ?? (required ? 1 : 0), max: options.max, pattern: options.pattern, patternHint: options.patternHint };
}

export function integer(label: string, options: { min?: number; max?: number; required?: boolean; default?: number } = {}): IntegerRule {
  return { ...base(label, options.required ?? true, options.default), type: 'chat_integer', min: options.min ?? 1, max: options.max ?? INT32_MAX };
}

export function choice(label: string, values: readonly string[], options: { required?: boolean } = {}): ChoiceRule {
  return { ...base(label, options.required ?? true), type: 'chat_choice', values };
}

/** 0 or 1, as a number or a form string. */
export function flag(label: string): ChoiceRule {
  return choice(label, [ '0', '1' ]);
}

function shown(value: unknown): string {
  const raw = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return raw.length > 50 ? raw.slice(0, 50) + '…' : raw;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

function checkText(rule: TextRule, value: unknown): string | undefined {
  if (typeof value !== 'string') return `${rule.label} 必须是字符串`;
  const length = [ ...value ].length;
  if (length === 0 && rule.required) return rule.message.required;
  if (length < rule.min || length > rule.max) {
    return rule.min > 0 ? `${rule.label} 的长度 必须 在 ${rule.min} 和 ${rule.max} 之间` : `${rule.label} 的长度 不能超过 ${rule.max}`;
  }
  if (CONTROL_CHARACTERS.test(value)) return `${rule.label} 不能包含控制字符`;
  if (/[\ud800-\udfff\ufffd]/u.test(value)) return `${rule.label} 不是合法的 UTF-8 文本`;
  if (rule.pattern && !rule.pattern.test(value)) return `${rule.label} ${rule.patternHint}`;
  return undefined;
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) return Number(value);
  return undefined;
}

function checkInteger(rule: IntegerRule, value: unknown): string | undefined {
  const number = toInteger(value);
  if (number === undefined) return `${rule.label} 必须是整数`;
  if (number < rule.min) return `${rule.label} 必须大于或等于 ${rule.min}`;
  if (number > rule.max) return `${rule.label} 必须小于或等于 ${rule.max}`;
  return undefined;
}

function checkChoice(rule: ChoiceRule, value: unknown): string | undefined {
  const candidate = typeof value === 'number' ? String(value) : value;
  if (typeof candidate === 'string' && rule.values.includes(candidate)) return undefined;
  return `${rule.label} 的值 \`${shown(value)}\` 必须在 [${rule.values.map(v => `\`${v}\``).join('、')}] 中`;
}

interface ParameterLike {
  validate(rules: object, data: object): Array<{ message: string; field: string; code: string }> | undefined;
  addRule(type: string, check: (rule: any, value: unknown) => string | undefined): void;
}

export function registerRules(validator: ParameterLike): void {
  validator.addRule('chat_text', checkText);
  validator.addRule('chat_integer', checkInteger);
  validator.addRule('chat_choice', checkChoice);
}

/**
 * Validates `input` against `rules` and returns ONLY the declared fields, converted to their types
 * (never the raw body: nothing unknown reaches a model). Throws a ValidationError with the first message.
 */
export function validateInput<R extends Rules>(validator: ParameterLike, rules: R, input: unknown): { [K in keyof R]: any } {
  const source = input && typeof input === 'object' && !Array.isArray(input) ? input as Record<string, unknown> : {};
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(rules)) {
    if (Object.prototype.hasOwnProperty.call(source, key)) picked[key] = source[key];
  }
  const errors = validator.validate(rules, { ...picked });
  if (errors && errors.length) throw new ValidationError(errors[0].message);
  const output: Record<string, unknown> = {};
  for (const [ key, rule ] of Object.entries(rules)) {
    const value = picked[key];
    if (value === undefined || value === null) {
      output[key] = rule.default;
    } else if (rule.type === 'chat_integer') {
      output[key] = toInteger(value);
    } else if (rule.type === 'chat_choice' && rule.values.every(v => /^\d+$/.test(v))) {
      output[key] = Number(value);
    } else {
      output[key] = value;
    }
  }
  return output as { [K in keyof R]: any };
}

/**
 * Every parameter is a scalar, but a query string can give one twice (`?limit=1&limit=abc`) or in
 * brackets (`?limit[]=1`, `?limit[a]=1`), and egg's `ctx.query` hides both: it keeps the first value of a
 * repeated key and the bracketed key under its own name. For each declared field whose value in `input`
 * came from such a query key (the controller spread `ctx.query` into it), this puts back every value the
 * query string gave, as an array, under the field's name: its rule refuses it (422, the field named)
 * whatever the order of the values. A field the path gives (`params`), or the body overrides, is left alone.
 */
export function withQueryShape(rules: Rules, input: unknown, rawQuery: string | undefined, query: Record<string, unknown>, params: Record<string, unknown> = {}): unknown {
  if (!rawQuery || !input || typeof input !== 'object' || Array.isArray(input)) return input;
  const source = input as Record<string, unknown>;
  const parsed = querystring.parse(rawQuery);
  const shaped = new Map<string, string[]>();
  for (const [ key, value ] of Object.entries(parsed)) {
    const name = key.replace(/\[[\s\S]*$/, '');
    if (!name || !Object.prototype.hasOwnProperty.call(rules, name)) continue;
    if (key === name && !Array.isArray(value)) continue;
    if (source[key] === undefined || source[key] !== query[key]) continue;
    // The route's path parameter of that name is the one read (the controllers spread params last).
    if (params?.[name] !== undefined) continue;
    shaped.set(name, [ ...(shaped.get(name) ?? []), ...(Array.isArray(value) ? value : [ value ?? '' ]) ]);
  }
  if (!shaped.size) return input;
  const output: Record<string, unknown> = { ...source };
  for (const [ name, values ] of shaped) output[name] = values;
  return output;
}
