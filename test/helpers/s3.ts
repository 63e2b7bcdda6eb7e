import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import * as http from 'node:http';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const S3rver = require('s3rver');

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** The chat.media.s3 settings that point at this server. */
  settings: { endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean; publicUrl: string; prefix: string; timeoutMs: number };
  directory: string;
  stop(): Promise<void>;
}

/**
 * A real S3-protocol server (s3rver, files in a temporary folder) on a free loopback port, with one bucket.
 * Its default account's key pair is S3RVER / S3RVER.
 */
export async function startS3(bucket = 'eggchat-media'): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'eggchat-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    bucket,
    directory,
    settings: {
      endpoint, region: 'us-east-1', bucket, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER',
      forcePathStyle: true, publicUrl: '', prefix: 'images', timeoutMs: 3000,
    },
    async stop() {
      await new Promise<void>(resolve => server.close(() => resolve()));
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** The settings of an object storage that is down: a loopback port nothing listens on. */
export async function deadS3Settings(): Promise<TestS3['settings']> {
  const server = http.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>(resolve => server.close(() => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint, region: 'us-east-1', bucket: 'eggchat-media', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER',
    forcePathStyle: true, publicUrl: '', prefix: 'images', timeoutMs: 1500,
  };
}

/** GET a URL's bytes (an object's public URL on the test server). */
export function fetchBytes(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, res => {
      const chunks: Buffer[] = [];
      res.on('data', chunk => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
