// An S3-compatible server on loopback for the checkpoint storage tests: s3rver (npm) in this process, path-style,
// with one bucket, its files in a folder of its own. Its built-in account is S3RVER / S3RVER (s3rver's README).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { freePort } from './nats-harness';

export class S3Server {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'ckpt-s3-'));
  port = 0;
  private server: S3rver | undefined;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(bucket: string): Promise<void> {
    this.port = await freePort();
    this.server = new S3rver({
      address: '127.0.0.1',
      port: this.port,
      silent: true,
      directory: this.dir,
      configureBuckets: [{ name: bucket, configs: [] }],
    });
    await this.server.run();
  }

  async stop(): Promise<void> {
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
