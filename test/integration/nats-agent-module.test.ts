// services.gpu-cluster-agent (nix-templates/modules/gpu-cluster-agent.nix) evaluated by the real nix-instantiate
// with a small stand-in for nixpkgs' lib: the unit runs sandboxed, gets its credentials by LoadCredential (the path
// only), passes the flags the agent understands, and refuses a credentials file in the Nix store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { AGENT_FLAGS } from '../../agent/src/main';
import { execArgv as argvOf } from '../support/systemdStandIn';
import { repoRoot } from './nats-harness';

const run = promisify(execFile);
const moduleFile = () => path.join(repoRoot(), 'nix-templates/modules/gpu-cluster-agent.nix');

// Enough of nixpkgs' lib for this module; option declarations are returned as they are, mkIf keeps the value.
const stubLib = `let t = name: { _type = name; }; in rec {
  mkOption = o: o; mkEnableOption = d: { description = d; }; mkIf = c: v: if c then v else { };
  mkMerge = l: let set = builtins.filter (v: v != { }) l; in if set == [ ] then { } else builtins.concatStringsSep "\n" set;
  optionalAttrs = c: a: if c then a else { };
  optionals = c: l: if c then l else [ ]; optionalString = c: s: if c then s else ""; toList = x: if builtins.isList x then x else [ x ];
  concatStringsSep = builtins.concatStringsSep; concatMap = f: l: builtins.concatLists (map f l);
  hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
  escapeShellArgs = l: builtins.concatStringsSep " " (map (a: "'" + a + "'") l);
  getExe' = p: n: "\${p}/bin/\${n}"; getExe = p: "\${p}/bin/node";
  literalExpression = x: x; literalMD = x: x;
  types = { str = t "str"; bool = t "bool"; package = t "package"; path = t "path";
    enum = t; nullOr = t; listOf = t; either = a: b: t "either"; strMatching = t; };
}`;

async function evalModule(settings: string): Promise<{
  serviceConfig: Record<string, unknown>;
  unitConfig: Record<string, unknown>;
  after: string[];
  assertions: { assertion: boolean; message: string }[];
  polkit: string;
}> {
  const expr = `let
    lib = ${stubLib};
    cfg = { enable = true; package = "/nix/store/agent"; bundle = null; natsUrl = "nats://127.0.0.1:4222"; credentialsFile = null;
      domain = "lab"; hostName = "gpu-01"; interval = "1s"; gpu = "auto"; exoUrl = "http://127.0.0.1:52415";
      controlExo = true; checkpointHelper = null; manageContainers = false; containerTool = null; declaredContainers = [ ]; extraArgs = [ ]; } // ${settings};
    config = { services.gpu-cluster-agent = cfg; services.exo = { enable = true; apiPort = 52415; };
      services.nats.enable = false; networking.hostName = "gpu-01"; systemd.package = "/nix/store/systemd"; };
    m = (import ${moduleFile()} { inherit lib config; pkgs = { }; }).config;
  in { serviceConfig = m.systemd.services.gpu-cluster-agent.serviceConfig; unitConfig = m.systemd.services.gpu-cluster-agent.unitConfig; after = m.systemd.services.gpu-cluster-agent.after;
       assertions = m.assertions; polkit = m.security.polkit.extraConfig; }`;
  const { stdout } = await run('nix-instantiate', ['--eval', '--strict', '--json', '--store', 'dummy://', '--expr', expr]);
  return JSON.parse(stdout);
}

test('the agent unit: sandboxed, credentials by LoadCredential, flags the agent accepts', async () => {
  const out = await evalModule(
    '{ credentialsFile = "/run/secrets/nats-agent.creds"; gpu = "nvidia"; natsUrl = [ "nats://a:4222" "nats://b:4222" ]; }',
  );
  const sc = out.serviceConfig;
  assert.equal(sc.DynamicUser, true);
  assert.equal(sc.ProtectSystem, 'strict');
  assert.equal(sc.PrivateTmp, true);
  assert.equal(sc.NoNewPrivileges, true);
  assert.equal(sc.CapabilityBoundingSet, '');
  assert.equal(sc.DevicePolicy, 'closed');
  assert.deepEqual(sc.DeviceAllow, ['char-nvidia-frontend rw']);
  assert.equal(sc.Restart, 'on-failure');
  assert.equal(sc.RestartMaxDelaySec, '5min');
  assert.deepEqual(sc.LoadCredential, ['nats.creds:/run/secrets/nats-agent.creds']);
  assert.deepEqual(
    out.unitConfig,
    { ConditionPathExists: '/run/secrets/nats-agent.creds' },
    'skipped, not failed, until the file is there',
  );
  const argv = argvOf(sc.ExecStart as string);
  assert.equal(argv[0], '/nix/store/agent/bin/gpu-cluster-agent');
  assert.ok(!argv.some((a) => a.includes('/run/secrets')), 'the secret path is not on the command line, only %d');
  // The flags parse with the agent's own flag table.
  const { values } = parseArgs({ args: argv.slice(1), options: AGENT_FLAGS, strict: true });
  assert.deepEqual(
    { ...values },
    {
      'nats-url': 'nats://a:4222,nats://b:4222',
      creds: '%d/nats.creds',
      domain: 'lab',
      host: 'gpu-01',
      interval: '1s',
      gpu: 'nvidia',
      'exo-url': 'http://127.0.0.1:52415',
    },
  );
  assert.match(out.polkit, /action\.lookup\("unit"\) == "exo\.service"/);
  assert.match(out.polkit, /subject\.user == "gpu-cluster-agent"/);
  assert.ok(out.assertions.every((a) => a.assertion));
});

test("with a container tool the unit passes it and the spec's containers as flags the agent accepts", async () => {
  const out = await evalModule('{ containerTool = [ "/run/wrappers/bin/ncw" "nixos-container" ]; declaredContainers = [ "infer" "db" ]; }');
  const { values } = parseArgs({ args: argvOf(out.serviceConfig.ExecStart as string).slice(1), options: AGENT_FLAGS, strict: true });
  assert.deepEqual(values['container-tool'], ['/run/wrappers/bin/ncw', 'nixos-container']);
  assert.deepEqual(values['declared-container'], ['infer', 'db']);
});

test('a credentials file in the Nix store is refused; no credentials means no LoadCredential', async () => {
  const inStore = await evalModule('{ credentialsFile = "/nix/store/abc-agent.creds"; }');
  assert.ok(inStore.assertions.some((a) => !a.assertion && /outside the Nix store/.test(a.message)));
  const none = await evalModule('{ gpu = "none"; controlExo = false; checkpointHelper = [ "/run/wrappers/bin/sudo" "gpu-checkpoint" ]; }');
  assert.deepEqual(none.serviceConfig.LoadCredential, []);
  assert.deepEqual(none.unitConfig, {});
  assert.deepEqual(none.serviceConfig.DeviceAllow, []);
  assert.deepEqual(argvOf(none.serviceConfig.ExecStart as string).slice(-4), [
    '--checkpoint-helper',
    '/run/wrappers/bin/sudo',
    '--checkpoint-helper',
    'gpu-checkpoint',
  ]);
  assert.deepEqual(none.polkit, {}, 'no polkit rule without controlExo');
});
