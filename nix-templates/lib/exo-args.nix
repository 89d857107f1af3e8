# Maps a host's exo roles and ports to exo's command-line flags. Pure (builtins only), so the NixOS and
# nix-darwin modules share it and tests can evaluate it with `nix-instantiate --eval --strict`.
#   roles: any of "master" "worker" "api"; without "worker" the node runs no worker (--no-worker), without
#   "api" it serves no API (--no-api), and "master" pins the master election to it (--force-master).
{ roles, namespace ? null, apiPort, zenohPort, discoveryPort, offline ? false, extraArgs ? [ ] }:
let
  has = role: builtins.elem role roles;
in
(if has "master" then [ "--force-master" ] else [ ])
++ (if has "worker" then [ ] else [ "--no-worker" ])
++ (if has "api" then [ "--api-port" (toString apiPort) ] else [ "--no-api" ])
++ [ "--zenoh-port" (toString zenohPort) "--discovery-port" (toString discoveryPort) ]
++ (if namespace == null then [ ] else [ "--namespace" namespace ])
++ (if offline then [ "--offline" ] else [ ])
++ extraArgs
