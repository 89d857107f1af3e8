# The GPU cluster node agent: the extension's dist/agent.js (one self-contained file, carried by the generated
# flake as pkgs/gpu-cluster-agent/agent.js) run by Node.js, as bin/gpu-cluster-agent.
{ lib, writeShellApplication, nodejs, bundle }:

writeShellApplication {
  name = "gpu-cluster-agent";
  text = ''exec ${lib.getExe nodejs} ${bundle} "$@"'';
  meta = {
    description = "GPU cluster node agent: telemetry, events and commands over NATS";
    mainProgram = "gpu-cluster-agent";
    platforms = lib.platforms.linux;
  };
}
