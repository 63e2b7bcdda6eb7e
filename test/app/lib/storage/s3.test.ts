import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { S3Storage, publicBase } from '../../../../app/lib/storage';
import { StorageError } from '../../../../app/lib/errors';
import { MSG } from '../../../../app/lib/messages';
import { TestS3, deadS3Settings, fetchBytes, startS3 } from '../../../helpers/s3';

describe('test/app/lib/storage/s3.test.ts', () => {
  let s3: TestS3;
  let work: string;
  before(async () => {
    s3 = await startS3();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-s3-unit-'));
  });
  after(async () => {
    await s3.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('puts a file, serves it back byte-identical with its type, fetches it to a file, removes it', async () => {
    const storage = new S3Storage(s3.settings);
    const source = path.join(work, 'source.bin');
    const bytes = Buffer.concat([ Buffer.from('RIFF'), Buffer.alloc(70000, 7) ]);
    fs.writeFileSync(source, bytes);
    const key = 'images/20260101/1767225600000_0123456789abcdef01234567.wav';
    await storage.putFile(key, source, 'audio/wav');
    assert.strictEqual(storage.urlOf(key), `${s3.endpoint}/${s3.bucket}/${key}`);
    const served = await fetchBytes(storage.urlOf(key));
    assert.strictEqual(served.status, 200);
    assert.strictEqual(served.headers['content-type'], 'audio/wav');
    assert.ok(served.body.equals(bytes));
    const copy = path.join(work, 'copy.bin');
    assert.strictEqual(await storage.fetchToFile(key, copy, 1_000_000), true);
    assert.ok(fs.readFileSync(copy).equals(bytes));
    assert.strictEqual(storage.keyOfUrl(storage.urlOf(key)), key);
    assert.strictEqual(storage.keyOfUrl('http://169.254.169.254/latest/meta-data'), null);
    await storage.remove(key);
    assert.strictEqual(await storage.fetchToFile(key, copy, 1_000_000), false);
  });

  it('a public base URL from the settings, or the endpoint\'s bucket URL (path or virtual-host style)', () => {
    assert.strictEqual(publicBase({ ...s3.settings, publicUrl: 'https://cdn.example.com' }), 'https://cdn.example.com');
    assert.strictEqual(publicBase({ ...s3.settings, endpoint: 'https://oss-cn-hangzhou.aliyuncs.com', forcePathStyle: false }), `https://${s3.bucket}.oss-cn-hangzhou.aliyuncs.com`);
  });

  it('an unreachable object storage is a 503 StorageError (put and fetch)', async () => {
    const storage = new S3Storage(await deadS3Settings());
    const source = path.join(work, 'down.bin');
    fs.writeFileSync(source, 'x');
    await assert.rejects(storage.putFile('images/20260101/1767225600000_0123456789abcdef01234567.png', source, 'image/png'),
      (err: any) => err instanceof StorageError && err.status === 503 && err.message === MSG.mediaObjectStorageDown);
    await assert.rejects(storage.fetchToFile('images/20260101/1767225600000_0123456789abcdef01234567.mp4', path.join(work, 'x'), 10),
      (err: any) => err instanceof StorageError && err.status === 503);
  });
});
