import { pinyin } from 'pinyin-pro';

export interface Contact {
  id: number;
  beizhu: string;
  username: string;
  avatar: string;
  friend_nickname: string;
  friend_id: number;
  name: string;
  uuid: string;
}

export interface ContactGroups {
  newList: Array<{ title: string; list: Contact[] }>;
  indexList: string[];
  total: number;
}

interface NameIndex { initial: string; sortKey: string }

const OTHER = '#';
const HAN = /\p{Script=Han}/u;
const LATIN_LETTER = /^[A-Za-z]$/;

/** Base Latin letter of a character: full-width and accented letters fold to A–Z ('Ａ' → 'A', 'É' → 'E'). */
function latinBase(character: string): string | undefined {
  const folded = character.normalize('NFKD').replace(/\p{M}/gu, '');
  return LATIN_LETTER.test(folded) ? folded.toUpperCase() : undefined;
}

function computeIndex(rawName: string): NameIndex {
  // Leading/trailing blanks neither pick the group nor move the name inside it.
  const name = rawName.trim();
  const first = Array.from(name)[0] ?? '';
  // Read as a person's name: 单 → shan, 曾 → zeng. Non-Chinese runs are kept whole.
  const syllables = name ? pinyin(name, { toneType: 'none', type: 'array', surname: 'head', nonZh: 'consecutive' }) : [];
  const sortKey = syllables.join(' ').normalize('NFKD').replace(/\p{M}/gu, '')
    .toLowerCase();
  let initial = OTHER;
  if (HAN.test(first)) {
    const letter = (syllables[0] ?? '').charAt(0).toUpperCase();
    initial = LATIN_LETTER.test(letter) ? letter : OTHER;
  } else if (first) {
    initial = latinBase(first) ?? OTHER;
  }
  return { initial, sortKey };
}

// Names repeat across requests (a contacts screen is opened again and again): remember their index.
const CACHE_LIMIT = 50_000;
const cache = new Map<string, NameIndex>();

export function indexName(name: string): NameIndex {
  let index = cache.get(name);
  if (!index) {
    index = computeIndex(name);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(name, index);
  }
  return index;
}

/** Groups contacts by the initial of `name`: A–Z, then '#'; inside a group by pinyin/letters. */
export function groupContacts(contacts: Contact[]): ContactGroups {
  const groups = new Map<string, Array<{ contact: Contact; sortKey: string }>>();
  for (const contact of contacts) {
    const { initial, sortKey } = indexName(contact.name);
    let group = groups.get(initial);
    if (!group) groups.set(initial, group = []);
    group.push({ contact, sortKey });
  }
  const titles = [ ...groups.keys() ].sort((a, b) => (a === OTHER ? 1 : b === OTHER ? -1 : a < b ? -1 : a > b ? 1 : 0));
  const newList = titles.map(title => ({
    title,
    list: groups.get(title)!
      .sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : a.contact.friend_id - b.contact.friend_id))
      .map(entry => entry.contact),
  }));
  return { newList, indexList: titles, total: titles.length };
}
