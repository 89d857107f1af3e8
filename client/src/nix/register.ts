// The Nix feature: Load NixOS Options from This Flake (the .nix language itself is the language server's).
import type { ExtensionServices } from '../services/services';
import { registerLoadNixOptions } from './loadNixOptions';

export function registerNix(services: ExtensionServices): void {
  registerLoadNixOptions(services);
}
