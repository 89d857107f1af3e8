// Public face of core/src/nats: NATS connection, subjects, events, object store, telemetry.
// Code outside core imports this module only through `#core/nats` (checked by scripts/check-imports.mjs).

export { AgentCommandClient, AgentCommandError, type CommandOptions, NOT_HANDLED_BY_AGENT } from './commands';
export { authenticatorFor, connectOnce, type ConnectionStatus, NatsConnectionManager, type NatsCredentials } from './connection';
export { CAUSATION_HEADER, type ClusterEvent, CORRELATION_HEADER, type EventFilter, EventStore, type StoredEvent } from './events';
export { documentKey, DocumentStore, syncFacterReports } from './objects';
export { EventOutbox } from './outbox';
export { type EventPublisher, openEventPublisher } from './publisher';
export { type AgentCommand, CLUSTER_AGGREGATE, type EventAction, Subjects, token } from './subjects';
export {
  type ContainerSample,
  type ExoSample,
  type GpuSample,
  type ReceivedSample,
  type TelemetrySample,
  TelemetrySubscriber,
} from './telemetry';
