// The region S3 requests are signed for (AWS Signature Version 4's credential scope), decided in one place: core's
// openCheckpointStore takes the spec's `checkpoints.storage.region`, else the region kept with the caller's keys (the
// editor's SecretStorage entry, the CLI's AWS_REGION), else us-east-1. s3rver does not verify V4 signatures
// (lib/middleware/authentication.js: "Signature version 4 calculation is unimplemented"), so a plain HTTP server on
// loopback records what the store sends, and the signature is recomputed with aws4 for the region it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import aws4 from 'aws4';
import { openCheckpointStore, type StoreAccess } from '../../core/src/checkpoint/open';

const keys = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

async function signedRequest(region: string | undefined, keptRegion: string | undefined): Promise<Seen> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method!, path: req.url!, headers: req.headers });
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const access: StoreAccess = {
      nats: () => assert.fail('no NATS for s3 storage'),
      s3Credentials: async () => ({ keys, region: keptRegion }),
      s3CredentialsHint: 'unused',
    };
    const opened = await openCheckpointStore({ kind: 's3', bucket: 'gpu-ckpt', endpoint, region }, access);
    await opened!.store.bucket.put('gpu-1/exo.service/c1/manifest.json', new TextEncoder().encode('{}'));
    await opened!.close();
    assert.equal(seen.length, 1);
    return seen[0];
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The credential scope's region in the Authorization header, after checking the signature is aws4's for it. */
function signedRegion(r: Seen): string {
  const auth = String(r.headers.authorization);
  const scope = /Credential=AKIDEXAMPLE\/(\d{8})\/([a-z0-9-]+)\/s3\/aws4_request/.exec(auth);
  assert.ok(scope, auth);
  const again = aws4.sign(
    {
      host: String(r.headers.host),
      path: r.path,
      method: r.method,
      service: 's3',
      region: scope[2],
      headers: {
        'Content-Type': String(r.headers['content-type']),
        'Content-Length': String(r.headers['content-length']),
        'X-Amz-Date': String(r.headers['x-amz-date']),
        'X-Amz-Content-Sha256': String(r.headers['x-amz-content-sha256']),
      },
    },
    keys,
  );
  assert.equal(auth, again.headers!.Authorization, 'the signature is the one for that region');
  return scope[2];
}

test("the spec's region signs the requests, over a region kept with the keys", async () => {
  assert.equal(signedRegion(await signedRequest('eu-central-1', 'us-west-2')), 'eu-central-1');
});

test("without the spec's region, the one kept with the keys; without either, us-east-1", async () => {
  assert.equal(signedRegion(await signedRequest(undefined, 'us-west-2')), 'us-west-2');
  assert.equal(signedRegion(await signedRequest(undefined, undefined)), 'us-east-1');
});
