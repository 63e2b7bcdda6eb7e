/**
 * Matching a question against an owner's Q&A entries (issue 19), for Chinese as for other scripts, with no
 * regular expression built from user text (the original's `new RegExp(keyword)` crashed on `(` and could be
 * made to backtrack for ever). Text is normalized (NFKC, lower case, only letters and digits kept); a run
 * of CJK characters gives its characters and its character bigrams, any other run of letters/digits is one
 * word. The score of an entry is the weighted share of the grams the two texts have in common, from both
 * sides: 0.6 × (share of the asked grams found in the question) + 0.4 × (share of the question's grams found
 * in what was asked); bigrams and words weigh 2, single characters 1, and a few function characters (的, 吗,
 * 是…) and bigrams of two of them 0.25; texts sharing less than 2 of weight do not match. The best entry at or above the threshold wins (ties: the most recently updated). Measured against
 * the original's substring scoring on a labelled set: docs/design/askanswer.md.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Characters that carry little meaning on their own in a question. */
const LIGHT = new Set([ ...'的了吗呢吧啊呀么是我你他她它们在有和就都也还又要会能可以这那个怎什哪请问' ]);

/** The least weight two texts must share to match at all. */
const MIN_SHARED = 2;

export type Grams = Map<string, number>;

function add(grams: Grams, gram: string, weight: number): void {
  grams.set(gram, (grams.get(gram) ?? 0) + weight);
}

/** The weighted grams of a text (see above). Linear in its length. */
export function gramsOf(text: string): Grams {
  const grams: Grams = new Map();
  const chars = [ ...text.normalize('NFKC').toLowerCase() ];
  let word = '';
  let previousCjk = '';
  const endWord = () => {
    if (word) add(grams, `w:${word}`, 2);
    word = '';
  };
  for (const char of chars) {
    if (CJK.test(char)) {
      endWord();
      add(grams, `c:${char}`, LIGHT.has(char) ? 0.25 : 1);
      if (previousCjk) add(grams, `b:${previousCjk}${char}`, LIGHT.has(char) && LIGHT.has(previousCjk) ? 0.25 : 2);
      previousCjk = char;
    } else if (LETTER_OR_DIGIT.test(char)) {
      previousCjk = '';
      word += char;
    } else {
      // Punctuation, spaces, emoji: a boundary.
      previousCjk = '';
      endWord();
    }
  }
  endWord();
  return grams;
}

function total(grams: Grams): number {
  let sum = 0;
  for (const weight of grams.values()) sum += weight;
  return sum;
}

function common(a: Grams, b: Grams): number {
  let sum = 0;
  const [ small, large ] = a.size <= b.size ? [ a, b ] : [ b, a ];
  for (const [ gram, weight ] of small) {
    const other = large.get(gram);
    if (other !== undefined) sum += Math.min(weight, other);
  }
  return sum;
}

/** How well `question` (an entry's) answers what was asked, 0…1. */
export function similarity(asked: Grams, question: Grams): number {
  const askedTotal = total(asked);
  const questionTotal = total(question);
  if (askedTotal === 0 || questionTotal === 0) return 0;
  const shared = common(asked, question);
  // Function words alone ("怎么", "在吗") match nothing: at least one bigram or word, or two characters, in common.
  if (shared < MIN_SHARED) return 0;
  return 0.6 * (shared / askedTotal) + 0.4 * (shared / questionTotal);
}

export interface Candidate { ask: string; updatedAt: number }

/** The best candidate at or above `threshold`, with its score; null when none is. */
export function bestMatch<T extends Candidate>(asked: string, candidates: readonly T[], threshold: number): { entry: T; score: number } | null {
  const askedGrams = gramsOf(asked);
  let best: { entry: T; score: number } | null = null;
  for (const entry of candidates) {
    const score = similarity(askedGrams, gramsOf(entry.ask));
    if (score < threshold) continue;
    if (!best || score > best.score || (score === best.score && entry.updatedAt > best.entry.updatedAt)) best = { entry, score };
  }
  return best;
}
