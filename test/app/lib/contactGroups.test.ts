import * as assert from 'node:assert';
import { Contact, groupContacts, indexName } from '../../../app/lib/contactGroups';

let nextId = 1;
function contact(name: string, friendId = nextId++): Contact {
  return { id: friendId, beizhu: name, username: `u${friendId}`, avatar: 'a.png', friend_nickname: '', friend_id: friendId, name, uuid: `uuid-${friendId}` };
}

function shape(contacts: Contact[]): Array<[string, string[]]> {
  return groupContacts(contacts).newList.map(group => [ group.title, group.list.map(item => item.name) ]);
}

describe('test/app/lib/contactGroups.test.ts', () => {
  describe('indexName', () => {
    const initials: Array<[string, string, string]> = [
      // [name, initial, why]
      [ '张三', 'Z', 'Chinese: first letter of the pinyin' ],
      [ '阿三', 'A', 'Chinese reading a' ],
      [ '李四', 'L', 'Chinese' ],
      [ '中国', 'Z', 'Chinese, not a surname reading' ],
      [ '单雄信', 'S', 'polyphonic surname 单 reads shan, not dan' ],
      [ '曾小贤', 'Z', 'polyphonic surname 曾 reads zeng, not ceng' ],
      [ '解晓东', 'X', 'polyphonic surname 解 reads xie, not jie' ],
      [ '仇人', 'Q', 'polyphonic surname 仇 reads qiu, not chou' ],
      [ '张abc', 'Z', 'Chinese followed by Latin' ],
      [ 'alice', 'A', 'lower-case Latin → upper case' ],
      [ 'Bob', 'B', 'upper-case Latin' ],
      [ 'z', 'Z', 'a single letter' ],
      [ 'Ａlice', 'A', 'full-width Latin folds to A' ],
      [ 'ｚoe', 'Z', 'full-width lower case folds to Z' ],
      [ 'Émile', 'E', 'accented Latin folds to E' ],
      [ 'éclair', 'E', 'accented lower case' ],
      [ 'İstanbul', 'I', 'dotted capital I folds to I' ],
      [ '123abc', '#', 'a digit' ],
      [ '１２３', '#', 'a full-width digit' ],
      [ '😀hi', '#', 'an emoji (astral plane)' ],
      [ '.dot', '#', 'punctuation' ],
      [ '(*[', '#', 'regex metacharacters' ],
      [ '$^.+?)|\\', '#', 'more regex metacharacters' ],
      [ '_under', '#', 'underscore' ],
      [ 'あい', '#', 'Japanese kana is not a Chinese character' ],
      [ '김', '#', 'Hangul' ],
      [ 'Ωmega', '#', 'Greek is not Latin' ],
      [ '', '#', 'the empty name' ],
      [ '   ', '#', 'blanks only' ],
      [ '  bob', 'B', 'leading blanks are ignored' ],
    ];
    for (const [ name, initial, why ] of initials) {
      it(`${JSON.stringify(name)} → ${initial} (${why})`, () => {
        assert.strictEqual(indexName(name).initial, initial);
      });
    }

    it('sort keys are the lower-case pinyin / letters of the whole name', () => {
      assert.strictEqual(indexName('张三').sortKey, 'zhang san');
      assert.strictEqual(indexName('单雄信').sortKey, 'shan xiong xin');
      assert.strictEqual(indexName('Bob').sortKey, 'bob');
      assert.strictEqual(indexName('Émile').sortKey, 'emile');
      assert.strictEqual(indexName('Ａlice').sortKey, 'alice');
      assert.strictEqual(indexName('  bob ').sortKey, 'bob');
    });

    it('answers the same index again (cached) for the same name', () => {
      const first = indexName('曾小贤');
      assert.deepStrictEqual(indexName('曾小贤'), first);
      assert.deepStrictEqual(first, { initial: 'Z', sortKey: 'zeng xiao xian' });
    });
  });

  describe('groupContacts', () => {
    it('answers empty groups for an empty list', () => {
      assert.deepStrictEqual(groupContacts([]), { newList: [], indexList: [], total: 0 });
    });

    it('groups A–Z then #, and orders each group by pinyin/letters', () => {
      const names = [
        '张三', 'Bob', '阿三', '单雄信', '123abc', '曾小贤', 'alice', '😀hi', 'bill', '.dot', 'Zoe', '(*[',
        'Lucy', 'Alan', '李四', 'lily', 'Ａndy', 'Émile', 'emma', 'Eve',
      ];
      const contacts = names.map(name => contact(name));
      const result = groupContacts(contacts);
      assert.deepStrictEqual(result.indexList, [ 'A', 'B', 'E', 'L', 'S', 'Z', '#' ]);
      assert.strictEqual(result.total, 7);
      assert.deepStrictEqual(result.newList.map(g => g.title), result.indexList);
      const groups = shape(contacts);
      assert.deepStrictEqual(groups.slice(0, 6), [
        [ 'A', [ '阿三', 'Alan', 'alice', 'Ａndy' ]],
        [ 'B', [ 'bill', 'Bob' ]],
        [ 'E', [ 'Émile', 'emma', 'Eve' ]],
        [ 'L', [ '李四', 'lily', 'Lucy' ]],
        [ 'S', [ '单雄信' ]],
        [ 'Z', [ '曾小贤', '张三', 'Zoe' ]],
      ]);
      assert.strictEqual(groups[6][0], '#');
      assert.deepStrictEqual([ ...groups[6][1] ].sort(), [ '(*[', '.dot', '123abc', '😀hi' ].sort());
      // Every contact appears once.
      assert.strictEqual(result.newList.reduce((sum, g) => sum + g.list.length, 0), names.length);
    });

    it('keeps # last even when it is the only group or sorts before letters in code points', () => {
      assert.deepStrictEqual(shape([ contact('#tag'), contact('1') ]).map(([ title ]) => title), [ '#' ]);
      assert.deepStrictEqual(groupContacts([ contact('!'), contact('a'), contact('~') ]).indexList, [ 'A', '#' ]);
    });

    it('answers the contacts themselves, with no extra keys', () => {
      const input = contact('王五');
      const copy = { ...input };
      const [ group ] = groupContacts([ input ]).newList;
      assert.strictEqual(group.title, 'W');
      assert.strictEqual(group.list[0], input);
      assert.deepStrictEqual(group.list[0], copy);
    });

    it('orders equal keys by friend_id, whatever the input order', () => {
      const later = contact('alice', 200);
      const earlier = contact('Ａlice', 100);
      const sameName = contact('alice', 150);
      const [ group ] = groupContacts([ later, sameName, earlier ]).newList;
      assert.deepStrictEqual(group.list.map(c => c.friend_id), [ 100, 150, 200 ]);
    });

    it('leading blanks do not move a name inside its group', () => {
      assert.deepStrictEqual(shape([ contact('  bob'), contact('bill') ]), [[ 'B', [ 'bill', '  bob' ]]]);
    });

    it('a name that is all digits or symbols never produces a letter group', () => {
      const result = groupContacts([ contact('2024'), contact('@home'), contact('-') ]);
      assert.deepStrictEqual(result.indexList, [ '#' ]);
      assert.strictEqual(result.newList[0].list.length, 3);
    });
  });
});
