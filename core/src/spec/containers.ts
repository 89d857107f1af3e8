// What nixos-containers accepts as a container's name, read from nixpkgs (the sources and commits are listed in
// core/src/validate/rules/containers.ts): the rules, the flake generator and the operations all ask the same.

/** The longest name `nixos-container create` accepts (nixos-container.pl: `length $containerName > 11`). */
export const MAX_CONTAINER_NAME = 11;
/** nixos-container.pl's name pattern, without '_' (nixos-containers.nix asserts there is none), not starting with '-'. */
export const CONTAINER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** Why `name` cannot be a nixos-container's name, or undefined when it can. */
export function containerNameProblem(name: string): string | undefined {
  if (name.includes('_')) return "nixos-containers does not allow '_' in container names";
  if (!CONTAINER_NAME.test(name)) return "only letters, digits and '-' are allowed, and it must not start with '-'";
  if (name.length > MAX_CONTAINER_NAME)
    return `it has ${name.length} characters; nixos-container allows at most ${MAX_CONTAINER_NAME}, because the host-side interface ve-${name} must fit the kernel's 15-character interface names`;
  return undefined;
}
