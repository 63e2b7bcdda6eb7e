/** The `user_info` columns of a joined row, read under the `i_` prefix (LEFT JOIN: all null when there is none). */
export interface UserinfoColumns {
  i_id: number | null; i_gender: string; i_birthday: string | null; i_bio: string | null; i_location: string | null; i_website: string | null;
}

/** The `userinfo` object the profile answers carry (the original's fields), or null without a row. */
export function userinfoOf(row: UserinfoColumns) {
  return row.i_id === null ? null : {
    id: row.i_id,
    gender: row.i_gender,
    birthday: row.i_birthday,
    bio: row.i_bio,
    location: row.i_location,
    website: row.i_website,
  };
}
