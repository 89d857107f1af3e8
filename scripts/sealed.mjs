// Runs a command in a network namespace of its own with only loopback up, so nothing it starts can send a packet
// off this machine, even by mistake (a test that dialled a spec's 10.x address gets ENETUNREACH at once).
// As root: `unshare --net`. Otherwise an unprivileged user namespace (`unshare --net --map-root-user`), where the
// kernel allows it. Used by `npm test` for every suite and by `npm run bench`.
import { spawnSync } from 'node:child_process';
import os from 'node:os';

export const SEALED_ENV = 'GPU_CLUSTER_SEALED';

/** True when this process runs in a namespace whose only network interface is loopback. */
export function isSealed() {
  return Object.keys(os.networkInterfaces()).every((name) => name === 'lo');
}

const BRING_UP_LOOPBACK = 'ip link set lo up && exec "$@"';

/** The `unshare` invocation that works here, or an explanation of what to do. */
export function sealingPrefix() {
  const candidates = process.getuid?.() === 0 ? [['--net']] : [['--net', '--map-root-user'], ['--net']];
  const failures = [];
  for (const flags of candidates) {
    const probe = spawnSync('unshare', [...flags, 'sh', '-c', BRING_UP_LOOPBACK, 'sh', 'true'], { encoding: 'utf8' });
    if (probe.status === 0) return { prefix: ['unshare', ...flags, 'sh', '-c', BRING_UP_LOOPBACK, 'sh'] };
    failures.push(`unshare ${flags.join(' ')}: ${(probe.error?.message ?? probe.stderr ?? '').trim() || `exit ${probe.status}`}`);
  }
  return {
    problem: [
      'the tests run only inside a network namespace with nothing but loopback, and one could not be made here:',
      ...failures.map((f) => `  ${f}`),
      'Run them as root (sudo npm test), or allow unprivileged user namespaces',
      '(sysctl kernel.unprivileged_userns_clone=1; on Ubuntu also kernel.apparmor_restrict_unprivileged_userns=0).',
      'unshare comes with util-linux and ip with iproute2.',
    ].join('\n'),
  };
}

/** Runs `cmd args` sealed (inherits stdio unless opts say otherwise); throws with the explanation when it cannot. */
export function runSealed(cmd, args, opts = {}) {
  if (isSealed()) return spawnSync(cmd, args, opts);
  const sealing = sealingPrefix();
  if (sealing.problem) throw new Error(sealing.problem);
  const [unshare, ...rest] = sealing.prefix;
  return spawnSync(unshare, [...rest, cmd, ...args], { ...opts, env: { ...(opts.env ?? process.env), [SEALED_ENV]: '1' } });
}
