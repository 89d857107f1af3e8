// `gpu-cluster-agent container-helper --requests DIR --results DIR --tool PATH <instance>`: the program of the root
// template unit gpu-cluster-container@.service (nix-templates/modules/gpu-cluster-agent.nix), which runs one
// `nixos-container` call for the unprivileged agent. Everything it is given comes from the agent, and the agent faces
// the network, so all of it is checked as hostile:
//   - the instance (systemd's `%i`) must name a verb and a container exactly as a request over NATS must
//     (core/src/ops/containers.ts, the same checks: nixos-container.pl's name pattern, no '_', at most 11 characters);
//   - the request file `<requests>/<instance>.json` lies in the agent's own directory: opened without following a
//     link (O_NOFOLLOW) and without blocking on a FIFO (O_NONBLOCK), it must be a regular file of at most 64 KiB that
//     belongs to a user other than root (no hard link to a root-owned file), and its fields pass the request checks;
//     create builds its configuration text from checked service names only; nothing goes through a shell;
//   - the result `<results>/<instance>.json` is written in a directory of root's that no one else may write, through
//     a new file (O_EXCL, O_NOFOLLOW) renamed into place, owned by the request's owner and readable by it alone.
// Its exit status is the tool's (2 for a refused call), so `systemctl start` fails when the call did and the journal
// says why.

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { lstat, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type ContainerUnitCall,
  type ContainerUnitRequest,
  type ContainerUnitResult,
  MAX_UNIT_REQUEST_BYTES,
  parseContainerUnitInstance,
  parseContainerUnitRequest,
  toolArgs,
} from '#core/ops';

export const CONTAINER_HELPER_USAGE = 'usage: gpu-cluster-agent container-helper --requests DIR --results DIR --tool PATH <instance>';

/** The refusal's exit status, as for a usage error. */
const REFUSED = 2;

class Refused extends Error {
  constructor(
    message: string,
    readonly nonce?: string,
  ) {
    super(message);
  }
}

export async function containerHelper(args: readonly string[], log: (line: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { requests: { type: 'string' }, results: { type: 'string' }, tool: { type: 'string' } },
      allowPositionals: true,
    });
  } catch (err) {
    log(`${(err as Error).message}\n${CONTAINER_HELPER_USAGE}`);
    return REFUSED;
  }
  const { values, positionals } = parsed;
  if (![values.requests, values.results, values.tool].every((p) => p?.startsWith('/')) || positionals.length !== 1) {
    log(CONTAINER_HELPER_USAGE);
    return REFUSED;
  }
  let call: ContainerUnitCall;
  try {
    call = parseContainerUnitInstance(positionals[0]);
  } catch (err) {
    log(`refused instance ${JSON.stringify(positionals[0])}: ${(err as Error).message}`);
    return REFUSED;
  }
  // From here on the instance is letters, digits and '-' only: a safe file name.
  const instance = positionals[0];
  const results = values.results!;
  const problem = await resultsDirectoryProblem(results);
  if (problem) {
    log(`refused: ${problem}`);
    return REFUSED;
  }
  const resultFile = path.join(results, `${instance}.json`);
  await rm(resultFile, { force: true });

  let request: ContainerUnitRequest;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const read = await readRequest(path.join(values.requests!, `${instance}.json`));
    owner = read.owner;
    try {
      request = parseContainerUnitRequest(read.text, call);
    } catch (err) {
      throw new Refused((err as Error).message, (err as { nonce?: string }).nonce);
    }
  } catch (err) {
    const message = `refused ${instance}: ${(err as Error).message}`;
    log(message);
    const nonce = err instanceof Refused ? err.nonce : undefined;
    if (nonce && owner) await writeResult(resultFile, { nonce, exitCode: REFUSED, stdout: '', stderr: `${message}\n` }, owner);
    return REFUSED;
  }

  const outcome = await run(values.tool!, toolArgs(call.verb, call.name, request.create));
  await writeResult(resultFile, { nonce: request.nonce, ...outcome }, owner);
  // The tool's own output stays in the journal too, for whoever reads the unit's log on the host.
  if (outcome.stderr.trim()) log(outcome.stderr.trimEnd());
  log(`${instance}: nixos-container exited with ${outcome.exitCode}`);
  return outcome.exitCode === 0 ? 0 : outcome.exitCode > 0 && outcome.exitCode < 256 ? outcome.exitCode : 1;
}

/** Why root must not write results into `dir`: it has to be root's own directory that nobody else can write. */
async function resultsDirectoryProblem(dir: string): Promise<string | undefined> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return `${dir} is not a directory`;
  if (st.uid !== process.getuid?.()) return `${dir} does not belong to this program's user`;
  if (st.mode & 0o022) return `${dir} may be written by others`;
  return undefined;
}

async function readRequest(file: string): Promise<{ text: string; owner: { uid: number; gid: number } }> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Refused(
      code === 'ELOOP'
        ? 'the request file is a symbolic link'
        : code === 'ENOENT'
          ? 'no request file'
          : `cannot open the request file (${code})`,
    );
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Refused('the request file is not a regular file');
    if (st.uid === 0) throw new Refused('the request file belongs to root, not to the agent');
    if (st.size > MAX_UNIT_REQUEST_BYTES) throw new Refused(`the request file is larger than ${MAX_UNIT_REQUEST_BYTES} bytes`);
    const buffer = Buffer.alloc(MAX_UNIT_REQUEST_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_UNIT_REQUEST_BYTES) throw new Refused(`the request file is larger than ${MAX_UNIT_REQUEST_BYTES} bytes`);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), owner: { uid: st.uid, gid: st.gid } };
  } finally {
    await handle.close();
  }
}

function run(tool: string, args: string[]): Promise<Omit<ContainerUnitResult, 'nonce'>> {
  return new Promise((resolve) => {
    execFile(tool, args, { encoding: 'utf8', maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = (err as { code?: number | string } | null)?.code;
      resolve({
        exitCode: !err ? 0 : typeof code === 'number' ? code : 1,
        stdout,
        stderr: stderr || (err && typeof code !== 'number' ? `${err.message}\n` : ''),
      });
    });
  });
}

/** Writes `result` as a new file renamed into place; only its owner (the requesting agent) may read it. */
async function writeResult(file: string, result: ContainerUnitResult, owner: { uid: number; gid: number } | undefined): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await rm(temporary, { force: true });
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.writeFile(JSON.stringify(result));
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}
