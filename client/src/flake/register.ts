// The flake feature: Generate Flake.
import type { ExtensionServices } from '../services/services';
import { registerGenerateFlake } from './generateFlake';

export function registerFlake(services: ExtensionServices): void {
  registerGenerateFlake(services);
}
