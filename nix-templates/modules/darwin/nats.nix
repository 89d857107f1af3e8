# A NATS leaf node (or hub) on macOS: nix-darwin has no services.nats, so this is a launchd daemon
# running nats-server with the same settings the NixOS module produces.
{ config, lib, pkgs, ... }:

let
  cfg = config.gpuCluster.nats;
  configFile = pkgs.writeText "nats-server.json" (builtins.toJSON (import ../../lib/nats-settings.nix cfg));
in
{
  # nix-darwin evaluates with class "darwin" (nix-darwin eval-config.nix): this module belongs there only.
  _class = "darwin";
  # The same options as on NixOS, taken from the NixOS module (its options do not depend on config).
  options.gpuCluster.nats = (import ../nats.nix { inherit lib; config = { }; pkgs = { }; }).options.gpuCluster.nats;

  config = lib.mkIf cfg.enable {
    gpuCluster.nats.serverName = lib.mkDefault config.networking.hostName;
    gpuCluster.nats.listenAddress = lib.mkIf (cfg.role == "hub") (lib.mkDefault "0.0.0.0");

    system.activationScripts.postActivation.text = lib.mkIf cfg.jetstream.enable ''
      mkdir -p ${lib.escapeShellArg cfg.jetstream.storeDir}
      chmod 0700 ${lib.escapeShellArg cfg.jetstream.storeDir}
    '';

    launchd.daemons.nats.serviceConfig = {
      Label = "io.nats.server";
      ProgramArguments = [ "${pkgs.nats-server}/bin/nats-server" "-c" "${configFile}" ];
      RunAtLoad = true;
      KeepAlive = true;
      ThrottleInterval = 10;
      StandardOutPath = "/var/log/nats.log";
      StandardErrorPath = "/var/log/nats.log";
    };
  };
}
