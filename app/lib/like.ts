/** LIKE metacharacters in user text match themselves only ('!' is the escape character). */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, match => '!' + match);
}
