// What the agent container tests share: container commands to one host's agent, waiting for it to answer, and the
// events of one lifecycle as `<action>:<name or drift list>:<op id>`. Both paths to nixos-container (the agent running it
// itself, or through the root unit) must tell the same story.
import { type AgentCommandClient, type StoredEvent } from '#core/nats';

export function containerCommands(commands: AgentCommandClient, host: string) {
  const run = <T>(command: Parameters<AgentCommandClient['run']>[1], payload: unknown, correlationId?: string) =>
    commands.run<T>(
      host,
      command,
      payload,
      async (reason) => {
        throw new Error(`no agent: ${reason}`);
      },
      { correlationId, timeoutMs: 10_000 },
    );
  /** Until the agent answers container.list (15 s at most); `exited` says why to stop waiting early. */
  const agentUp = async (exited?: () => string | undefined) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const why = exited?.();
      if (why) throw new Error(why);
      const error = await run('container.list', {}).then(
        () => undefined,
        (err: Error) => err,
      );
      if (!error) return;
      if (Date.now() > deadline) throw new Error(`the agent does not answer: ${error.message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { run, agentUp };
}

export const storyLine = (e: StoredEvent): string =>
  `${e.action}:${(e.data as { name?: string }).name ?? (e.data as { containers: string[] }).containers.join('+')}:${e.correlationId.startsWith('op-') ? e.correlationId : '-'}`;

/** create web (drift: not in the spec), start, stop, a refused destroy of the declarative `infer`, destroy web. */
export const LIFECYCLE_STORY = [
  'container-creating:web:op-create',
  'container-created:web:op-create',
  'container-drift:web:-',
  'container-started:web:op-start',
  'container-stopped:web:op-stop',
  'container-failed:infer:op-bad',
  'container-destroyed:web:op-destroy',
  'container-drift::-',
];
