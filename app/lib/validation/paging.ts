import { integer } from './rules';

/** `:page` (default 1) and `?limit=`; a limit above the route's cap is clamped, not refused. */
export const pageRules = {
  page: integer('页码', { required: false, max: 1_000_000 }),
  limit: integer('每页条数', { required: false }),
};

export function pageFrom(input: { page?: number; limit?: number }, defaultLimit: number, maxLimit: number) {
  return { page: input.page ?? 1, limit: Math.min(input.limit ?? defaultLimit, maxLimit) };
}
