// An S3 bucket as checkpoint storage (`checkpoints.storage.kind: s3`, `bucket`, `endpoint` for S3-compatible
// stores): path-style requests signed with AWS Signature Version 4 (aws4), over Node's fetch. The keys never come
// from the spec: the editor keeps them in SecretStorage, the CLI reads them from the environment or a file.

import aws4 from 'aws4';
import type { ObjectBucket } from './storage';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3Location {
  bucket: string;
  /** `https://s3.lab:9000`; AWS's regional endpoint when unset. */
  endpoint?: string;
  region?: string;
}

/** S3 bucket names (path-style): 3–63 lowercase letters, digits, dots and hyphens. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `AWS_ACCESS_KEY_ID=…` lines (an env file) or an AWS credentials file's `aws_access_key_id = …`. */
export function parseS3Credentials(text: string): S3Credentials {
  const values = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]+)\s*=\s*"?([^"#\s]*)"?\s*$/.exec(line);
    if (m) values.set(m[1].toLowerCase(), m[2]);
  }
  const accessKeyId = values.get('aws_access_key_id');
  const secretAccessKey = values.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) throw new Error('The S3 credentials need AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.');
  return { accessKeyId, secretAccessKey, sessionToken: values.get('aws_session_token') || undefined };
}

const xmlText = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

export function s3CheckpointBucket(where: S3Location, credentials: S3Credentials): ObjectBucket {
  if (!BUCKET.test(where.bucket)) throw new Error(`"${where.bucket}" is not an S3 bucket name.`);
  const region = where.region ?? 'us-east-1';
  const base = new URL(where.endpoint ?? `https://s3.${region}.amazonaws.com`);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error(`The S3 endpoint ${where.endpoint} is not http(s).`);
  const keyPath = (name: string) => `/${where.bucket}/${name.split('/').map(encodeURIComponent).join('/')}`;

  async function request(method: 'GET' | 'PUT' | 'DELETE', path: string, body?: Uint8Array): Promise<Response> {
    const signed = aws4.sign(
      {
        host: base.host,
        path,
        method,
        service: 's3',
        region,
        headers: body ? { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) } : {},
        body: body ? Buffer.from(body) : undefined,
      },
      credentials,
    );
    const headers = Object.fromEntries(
      Object.entries(signed.headers ?? {})
        .filter(([k]) => k.toLowerCase() !== 'host' && k.toLowerCase() !== 'content-length')
        .map(([k, v]) => [k, String(v)]),
    );
    return fetch(new URL(path, base), { method, headers, body: body ? Buffer.from(body) : undefined });
  }

  async function failure(what: string, res: Response): Promise<Error> {
    const text = await res.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    return new Error(`S3 ${what} failed: ${res.status}${code ? ` ${code}` : ''}${message ? ` (${xmlText(message)})` : ''}`);
  }

  return {
    description: `S3 bucket ${where.bucket}`,
    async put(name, data) {
      const res = await request('PUT', keyPath(name), data);
      if (!res.ok) throw await failure(`PUT ${name}`, res);
      await res.arrayBuffer();
    },
    async get(name) {
      const res = await request('GET', keyPath(name));
      if (res.status === 404) {
        await res.arrayBuffer();
        return undefined;
      }
      if (!res.ok) throw await failure(`GET ${name}`, res);
      return new Uint8Array(await res.arrayBuffer());
    },
    async delete(name) {
      const res = await request('DELETE', keyPath(name));
      if (!res.ok && res.status !== 404) throw await failure(`DELETE ${name}`, res);
      await res.arrayBuffer();
    },
    async names() {
      const names: string[] = [];
      let token: string | undefined;
      for (let page = 0; page < 10_000; page++) {
        const query = `list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`;
        const res = await request('GET', `/${where.bucket}?${query}`);
        if (!res.ok) throw await failure('LIST', res);
        const xml = await res.text();
        for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) names.push(xmlText(m[1]));
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? xmlText(/<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
          : undefined;
        if (!token) break;
      }
      return names;
    },
  };
}
