// A k3s API server on loopback that answers with the recorded responses of test/fixtures/k3s (shapes from the
// Kubernetes API reference, see the README there), over TLS with a throwaway CA as k3s issues its own, and records
// what it was asked. Used by the client's integration test and the end-to-end suite.
import { readFileSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loopbackCertificates } from './loopbackCertificates';

export const RECORDED_TOKEN = 'recorded-test-token';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
}

export interface RecordedKubeApi {
  url: string;
  seen: SeenRequest[];
  /** Writes a kubeconfig (token auth, the throwaway CA) for `serverUrl` (default: this server) into the folder. */
  kubeconfig(name: string, serverUrl?: string): string;
  close(): Promise<void>;
}

const fixturesDir = path.join(__dirname, '../../../test/fixtures/k3s');
export const recordedFixture = (name: string) => readFileSync(path.join(fixturesDir, name), 'utf8');

const NOT_FOUND =
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}';

/** Routes: method and path → status and body. */
function answer(method: string, url: URL): [number, string] {
  const p = url.pathname;
  if (method === 'GET' && p === '/api/v1/namespaces/exo/services/exo') return [200, recordedFixture('service-exo.json')];
  if (method === 'GET' && p === '/api/v1/namespaces/other/services/exo') return [404, recordedFixture('status-notfound.json')];
  if (method === 'GET' && /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/(exo|other)\/endpointslices$/.test(p)) {
    return [
      200,
      p.includes('/exo/')
        ? recordedFixture('endpointslices-exo.json')
        : '{"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"2210"},"items":[]}',
    ];
  }
  if (method === 'GET' && p === '/api/v1/pods') return [200, recordedFixture('pods.json')];
  if (method === 'POST' && p === '/api/v1/nodes/gpu-2/proxy/checkpoint/ml/trainer-0/trainer')
    return [200, recordedFixture('checkpoint-ok.json')];
  if (method === 'POST' && p.startsWith('/api/v1/nodes/hub-1/proxy/')) return [403, recordedFixture('status-forbidden.json')];
  return [404, NOT_FOUND];
}

/** A throwaway CA and a server certificate for 127.0.0.1, written into `dir`. */
function certificates(dir: string): { key: Buffer; cert: Buffer; ca: Buffer } {
  const files = loopbackCertificates(dir, 'k3s-server-ca');
  return { key: readFileSync(files.keyFile), cert: readFileSync(files.certFile), ca: readFileSync(files.caFile) };
}

export async function startRecordedKubeApi(dir: string): Promise<RecordedKubeApi> {
  const tls = certificates(dir);
  const caData = tls.ca.toString('base64');
  const seen: SeenRequest[] = [];
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    const [status, body] = answer(req.method ?? '', url);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    kubeconfig(name, serverUrl = url) {
      const file = path.join(dir, name);
      writeFileSync(
        file,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: lab',
          'clusters:',
          '- name: lab',
          '  cluster:',
          `    server: ${serverUrl}`,
          `    certificate-authority-data: ${caData}`,
          'users:',
          '- name: admin',
          '  user:',
          `    token: ${RECORDED_TOKEN}`,
          'contexts:',
          '- name: lab',
          '  context:',
          '    cluster: lab',
          '    user: admin',
        ].join('\n') + '\n',
      );
      return file;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
