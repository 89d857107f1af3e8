# What nixos-container accepts as a container's name, as a regular expression (builtins.match and JavaScript read it
# alike): nixos-container.pl (nixpkgs 1b87194) /^[a-zA-Z0-9_-]+$/ and at most 11 characters (the host's ve-<name>
# within the kernel's interface names); nixos-containers.nix (nixpkgs 00ef614) asserts there is no '_'; a leading '-'
# would be read as an option. core/src/spec/containers.ts (containerNameProblem) applies the same to the spec and to
# every request the agent gets.
"[A-Za-z0-9][A-Za-z0-9-]{0,10}"
