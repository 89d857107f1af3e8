// Public face of core/src/checkpoint: checkpoint policies, retention, moves of checkpoints between hosts.
// Code outside core imports this module only through `#core/checkpoint` (checked by scripts/check-imports.mjs).

export { type DrainContext, drainHost, type DrainRecord, returnDrained } from './drain';
export { plannedMoveProblems } from './migration';
export { restoreOnHost, targetCompatibility } from './move';
export { natsCheckpointBucket } from './natsBucket';
export { MissingS3CredentialsError, openCheckpointStore, type OpenStore, type StoreAccess } from './open';
export { runPolicy, serviceUnit } from './policy';
export { parseS3Credentials, s3CheckpointBucket, type S3Credentials } from './s3Bucket';
export {
  CheckpointStore,
  downloadCheckpoint,
  locateCheckpoint,
  type LocatedCheckpoint,
  restoreFromStore,
  uploadCheckpoint,
} from './storage';
