// nix-templates/modules/checkpoint.nix through nixpkgs' real lib.evalModules: a policy's service uploads to the
// spec's storage (the flags `gpu-cluster-agent checkpoint policy` parses), secrets reach it only by LoadCredential
// (a path, never the content, never in the Nix store), and a value that would break the unit file is a type error.
// nixpkgs' NixOS modules are not on this machine: the options the module sets are declared here with nixpkgs' types
// (systemd.services.<name>.serviceConfig / after / wants / path and systemd.timers.<name>.timerConfig:
// nixos/lib/systemd-unit-options.nix at 515c8fb5, as the module's header records).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { findTemplatesDir } from '../../core/src/flake/templates';
import { nixString } from '../../core/src/nix/emit';
import { nixpkgsLib } from '../support/upstream';

const run = promisify(execFile);
const moduleFile = path.join(findTemplatesDir(__dirname), 'modules/checkpoint.nix');

interface Evaluated {
  execStart: string;
  loadCredential: string[];
  after: string[];
  failed: string[];
}

async function evaluate(settings: string): Promise<Evaluated> {
  const expr = `
let
  lib = import ${nixString(nixpkgsLib())};
  t = lib.types;
  opt = type: default: lib.mkOption { inherit type default; };
  drv = name: { type = "derivation"; name = name; outPath = "/nix/store/00000000000000000000000000000000-\${name}"; };
  upstream = {
    options.systemd.services = opt (t.attrsOf (t.submodule {
      options = {
        description = opt t.str "";
        path = opt (t.listOf (t.either t.package t.str)) [ ];
        serviceConfig = opt (t.attrsOf t.unspecified) { };
        after = opt (t.listOf t.str) [ ];
        wants = opt (t.listOf t.str) [ ];
      };
    })) { };
    options.systemd.timers = opt (t.attrsOf t.unspecified) { };
    options.systemd.tmpfiles.rules = opt (t.listOf t.str) [ ];
    options.environment.systemPackages = opt (t.listOf t.package) [ ];
    options.networking.hostName = opt t.str "gpu-1";
    options.assertions = opt (t.listOf t.unspecified) [ ];
  };
  host = { gpuCluster.checkpoint = { enable = true; agentPackage = drv "gpu-cluster-agent";
    policies.hourly = { units = [ "exo" ]; interval = "1h"; retain = 2; }; } // (${settings}); };
  cfg = (lib.evalModules { modules = [ upstream ${nixString(moduleFile)} host ]; specialArgs.pkgs = { criu = drv "criu"; stdenv.hostPlatform.system = "x86_64-linux"; }; }).config;
  s = cfg.systemd.services.gpu-checkpoint-hourly;
in {
  execStart = s.serviceConfig.ExecStart;
  loadCredential = s.serviceConfig.LoadCredential;
  inherit (s) after;
  failed = map (a: a.message) (builtins.filter (a: !a.assertion) cfg.assertions);
}`;
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', '-E', expr], {
    maxBuffer: 16 << 20,
  });
  return JSON.parse(stdout);
}

async function evaluationError(settings: string): Promise<string> {
  try {
    await evaluate(settings);
  } catch (err) {
    return (err as { stderr?: string }).stderr ?? String(err);
  }
  return assert.fail('the evaluation succeeded');
}

/** ExecStart back into argv as systemd splits it (lib/systemd-exec.nix: double-quoted JSON words, `%%` for `%`); bare words stay. */
const argvOf = (execStart: string) =>
  [...execStart.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) =>
    m[1] === undefined ? m[2] : (JSON.parse(`"${m[1]}"`) as string).replace(/%%/g, '%').replace(/\$\$/g, '$'),
  );

/** The agent's own option parser over the argv (after `checkpoint policy`): what it would run with. */
function agentOptions(argv: string[]) {
  assert.equal(argv[0], '/nix/store/00000000000000000000000000000000-gpu-cluster-agent/bin/gpu-cluster-agent');
  assert.deepEqual(argv.slice(1, 3), ['checkpoint', 'policy']);
  const str = { type: 'string' } as const;
  return parseArgs({
    args: argv.slice(3),
    options: {
      dir: str,
      retain: str,
      unit: { type: 'string', multiple: true },
      'lock-timeout': str,
      host: str,
      storage: str,
      bucket: str,
      endpoint: str,
      region: str,
      's3-credentials': str,
      'nats-url': str,
      'nats-creds': str,
      'tls-ca': str,
    },
  }).values;
}

test('local storage: no storage flags, no credentials, no network dependency', async () => {
  const r = await evaluate('{ }');
  const o = agentOptions(argvOf(r.execStart));
  assert.equal(o.storage, undefined);
  assert.deepEqual(r.loadCredential, []);
  assert.deepEqual(r.after, []);
  assert.deepEqual(r.failed, []);
});

test('s3 storage: bucket, endpoint and region as flags, the keys file by LoadCredential and %d (the path only)', async () => {
  const r = await evaluate(
    '{ storage = { kind = "s3"; bucket = "gpu-checkpoints"; endpoint = "https://s3.lab:9000"; region = "eu-central-1"; credentialsFile = "/run/secrets/ckpt-s3.env"; }; }',
  );
  const o = agentOptions(argvOf(r.execStart));
  assert.deepEqual(
    [o.storage, o.bucket, o.endpoint, o.region, o.retain, o['s3-credentials']],
    ['s3', 'gpu-checkpoints', 'https://s3.lab:9000', 'eu-central-1', '2', '%d/s3.credentials'],
  );
  assert.ok(r.execStart.endsWith(' --s3-credentials %d/s3.credentials'), 'a bare word: systemd expands %d to the credentials directory');
  assert.deepEqual(r.loadCredential, ['s3.credentials:/run/secrets/ckpt-s3.env']);
  assert.deepEqual(r.after, ['network-online.target']);
  assert.deepEqual(r.failed, []);
});

test('nats-object-store storage: the servers joined, the agent .creds by LoadCredential, the CA by its path', async () => {
  const r = await evaluate(
    '{ storage = { kind = "nats-object-store"; bucket = "checkpoints"; natsUrl = [ "nats://hub-1.lab:4222" "nats://hub-2.lab:4222" ]; natsCredentialsFile = "/var/lib/gpu-cluster-agent/agent.creds"; }; }',
  );
  const o = agentOptions(argvOf(r.execStart));
  assert.deepEqual(
    [o.storage, o.bucket, o['nats-url'], o['nats-creds'], o['tls-ca']],
    ['nats-object-store', 'checkpoints', 'nats://hub-1.lab:4222,nats://hub-2.lab:4222', '%d/nats.creds', undefined],
  );
  assert.deepEqual(r.loadCredential, ['nats.creds:/var/lib/gpu-cluster-agent/agent.creds']);
  const tls = await evaluate(
    '{ storage = { kind = "nats-object-store"; bucket = "checkpoints"; natsUrl = "tls://hub-1.lab:4222"; natsCaFile = "/etc/nats/ca.pem"; }; }',
  );
  const t = agentOptions(argvOf(tls.execStart));
  assert.deepEqual([t['nats-url'], t['tls-ca'], t['nats-creds']], ['tls://hub-1.lab:4222', '/etc/nats/ca.pem', undefined]);
  assert.deepEqual(tls.loadCredential, [], 'a CA is public: read from its path, not a credential');
  assert.deepEqual(tls.failed, []);
});

test('missing pieces and secrets in the Nix store fail as assertions; values that would break a unit line are type errors', async () => {
  assert.deepEqual((await evaluate('{ storage.kind = "s3"; storage.bucket = "b-1"; }')).failed, [
    'gpuCluster.checkpoint.storage.credentialsFile is needed for s3 storage (a file on the host with the keys)',
  ]);
  assert.deepEqual((await evaluate('{ storage.kind = "nats-object-store"; }')).failed, [
    'gpuCluster.checkpoint.storage.bucket is needed for nats-object-store storage',
    'gpuCluster.checkpoint.storage.natsUrl is needed for nats-object-store storage',
  ]);
  assert.deepEqual(
    (await evaluate('{ storage = { kind = "s3"; bucket = "b-1"; credentialsFile = "/nix/store/abc-keys.env"; }; }')).failed,
    ['gpuCluster.checkpoint.storage: credential files must be paths outside the Nix store (they hold secrets)'],
  );
  assert.match(
    await evaluationError('{ storage = { kind = "s3"; bucket = "b-1"; credentialsFile = "/run/keys\\nExecStartPre=/bin/sh"; }; }'),
    /gpuCluster\.checkpoint\.storage\.credentialsFile' is not of type `null or string matching the pattern/,
  );
  assert.match(
    await evaluationError('{ storage = { kind = "s3"; bucket = "b-1"; credentialsFile = "/run/%h/keys"; }; }'),
    /storage\.credentialsFile' is not of type/,
  );
  assert.match(await evaluationError('{ storage = { kind = "s3"; bucket = "b 1;x"; }; }'), /storage\.bucket' is not of type/);
  assert.match(
    await evaluationError('{ storage = { kind = "s3"; bucket = "b-1"; endpoint = "file:///etc"; }; }'),
    /storage\.endpoint' is not of type/,
  );
  assert.match(
    await evaluationError(
      '{ storage = { kind = "s3"; bucket = "b-1"; credentialsFile = "/run/k"; region = "eu-1\\nExecStartPre=/bin/sh"; }; }',
    ),
    /storage\.region' is not of type `null or string matching the pattern/,
  );
  assert.match(
    await evaluationError(
      '{ storage = { kind = "s3"; bucket = "b-1"; credentialsFile = "/run/k"; region = "eu-1 --endpoint=http://x"; }; }',
    ),
    /storage\.region' is not of type/,
  );
  assert.match(
    await evaluationError(
      '{ storage = { kind = "nats-object-store"; bucket = "b"; natsUrl = "tls://h:4222"; natsCaFile = "ca.pem --nats-url=nats://x"; }; }',
    ),
    /storage\.natsCaFile' is not of type `null or string matching the pattern/,
  );
  assert.match(
    await evaluationError('{ storage.kind = "ftp"; }'),
    /storage\.kind' is not of type `one of "local", "s3", "nats-object-store"'/,
  );
});
