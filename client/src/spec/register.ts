// The spec feature: Create Example Cluster Spec (the spec itself is the shared services' SpecStore).
import type { ExtensionServices } from '../services/services';
import { registerScaffoldSpec } from './scaffoldSpec';

export function registerSpec(services: ExtensionServices): void {
  registerScaffoldSpec(services);
}
