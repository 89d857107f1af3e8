// `gpu-cluster`: the command line for CI and scripts. One file per subcommand in commands/; each takes
// its arguments and an io, and returns the exit code (0 ok, 1 the spec has errors, 2 bad usage).

import { runCheck, USAGE as CHECK_USAGE } from './commands/check';
import { runCheckpoint, USAGE as CHECKPOINT_USAGE } from './commands/checkpoint';
import { runDrain, USAGE as DRAIN_USAGE } from './commands/drain';
import { runRestore, USAGE as RESTORE_USAGE } from './commands/restore';
import { runGenerate, USAGE as GENERATE_USAGE } from './commands/generate';
import { DEPLOY_USAGE, ROLLBACK_USAGE, runDeploy, runRollback, runStatus, runUpdate, STATUS_USAGE, UPDATE_USAGE } from './commands/rollout';
import { runValidate, USAGE as VALIDATE_USAGE } from './commands/validate';
import { processIo, type CliIo } from './common/io';

interface Subcommand {
  summary: string;
  usage: string;
  run: (args: readonly string[], io: CliIo) => Promise<number>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  validate: {
    summary: 'check cluster specs and .nix files; prints file:line:col severity code message',
    usage: VALIDATE_USAGE,
    run: runValidate,
  },
  generate: { summary: 'generate the Nix flake of a cluster spec', usage: GENERATE_USAGE, run: runGenerate },
  check: { summary: 'the Nix diagnostics of every .nix file of a flake', usage: CHECK_USAGE, run: runCheck },
  checkpoint: { summary: 'checkpoint GPU processes of a host (cuda-checkpoint + CRIU)', usage: CHECKPOINT_USAGE, run: runCheckpoint },
  restore: { summary: 'restore a checkpoint on its host or, when compatible, on another', usage: RESTORE_USAGE, run: runRestore },
  drain: { summary: 'move the GPU processes of a host to compatible hosts, and back after its update', usage: DRAIN_USAGE, run: runDrain },
  deploy: {
    summary: "build, preview and roll out the flake's systems (checkpoint, switch, health checks, revert timer)",
    usage: DEPLOY_USAGE,
    run: runDeploy,
  },
  update: { summary: 'preview and roll out systems already built and copied to the hosts', usage: UPDATE_USAGE, run: runUpdate },
  rollback: { summary: 'switch hosts to their previous generation with the same checks', usage: ROLLBACK_USAGE, run: runRollback },
  status: { summary: 'where each host of a rollout stands (from its journal)', usage: STATUS_USAGE, run: runStatus },
};

function help(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((n) => n.length));
  return (
    'usage: gpu-cluster <command> [arguments]\n\ncommands:\n' +
    Object.entries(SUBCOMMANDS)
      .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}\n`)
      .join('') +
    '\nRun gpu-cluster <command> --help for its arguments.\n'
  );
}

export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(help());
    return name === undefined ? 2 : 0;
  }
  const command = SUBCOMMANDS[name];
  if (!command) {
    io.err(`gpu-cluster: unknown command '${name}'\n${help()}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    io.err(`gpu-cluster ${name}: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

if (require.main === module) {
  // `gpu-cluster validate … | head` closes the pipe early: that is not a failure
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
