import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalStorage } from '../../../../app/lib/storage';
import { formatOfKey, newKey, thumbnailKey } from '../../../../app/lib/media';

describe('test/app/lib/storage/local.test.ts', () => {
  let root: string;
  let storage: LocalStorage;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-local-'));
    storage = new LocalStorage(root, '/public/uploads/Diy');
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('puts a finished file under its key and copies it back', async () => {
    const source = path.join(root, 'source');
    fs.writeFileSync(source, 'hello');
    const key = newKey('chatImgs', 'png');
    await storage.putFile(key, source);
    assert.strictEqual(fs.readFileSync(path.join(root, key), 'utf8'), 'hello');
    const copy = path.join(root, 'copy');
    assert.strictEqual(await storage.fetchToFile(key, copy), true);
    assert.strictEqual(fs.readFileSync(copy, 'utf8'), 'hello');
    assert.strictEqual(await storage.fetchToFile(newKey('chatImgs', 'png'), copy), false);
    await storage.remove(key);
    assert.strictEqual(fs.existsSync(path.join(root, key)), false);
  });

  it('URLs: the key from a path or any host\'s URL of ours; nothing else', () => {
    const key = newKey('chatVideos', 'mp4');
    assert.strictEqual(storage.urlOf(key), `/public/uploads/Diy/${key}`);
    assert.strictEqual(storage.keyOfUrl(`/public/uploads/Diy/${key}`), key);
    assert.strictEqual(storage.keyOfUrl(`http://192.168.1.5:7001/public/uploads/Diy/${key}?x=1`), key);
    assert.strictEqual(storage.keyOfUrl('//evil.example/public/uploads/Diy/a'), null);
    assert.strictEqual(storage.keyOfUrl('file:///etc/passwd'), null);
    assert.strictEqual(storage.keyOfUrl('/etc/passwd'), null);
  });

  it('keys: only well-formed keys of this server have a format; traversal never resolves outside the root', () => {
    const key = newKey('chatImgs', 'jpg');
    assert.strictEqual(formatOfKey(key)?.contentType, 'image/jpeg');
    assert.strictEqual(formatOfKey(thumbnailKey(key))?.ext, 'jpg');
    for (const bad of [ '../../etc/passwd', 'chatImgs/../../x/1767225600000_0123456789abcdef01234567.png', 'chatImgs/20260101/evil.html',
      'chatImgs/20260101/1767225600000_0123456789abcdef01234567.svg', 'secret/20260101/1767225600000_0123456789abcdef01234567.png', '/abs/20260101/x.png' ]) {
      assert.strictEqual(formatOfKey(bad), null, bad);
    }
    assert.throws(() => storage.pathOf('../outside'));
    assert.throws(() => storage.pathOf('/etc/passwd'));
  });
});
