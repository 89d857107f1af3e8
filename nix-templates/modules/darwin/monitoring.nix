# Prometheus node exporter on macOS as a launchd daemon (nix-darwin has no exporter modules).
{ config, lib, pkgs, ... }:

let
  cfg = config.gpuCluster.monitoring;
in
{
  # nix-darwin evaluates with class "darwin" (nix-darwin eval-config.nix): this module belongs there only.
  _class = "darwin";
  options.gpuCluster.monitoring = {
    exporters = lib.mkOption {
      type = lib.types.listOf (lib.types.enum [ "node" ]);
      default = [ ];
      description = "Exporters to run; macOS supports the node exporter.";
    };
    nodePort = lib.mkOption { type = lib.types.port; default = 9100; description = "Node exporter port."; };
  };

  config = lib.mkIf (builtins.elem "node" cfg.exporters) {
    launchd.daemons.prometheus-node-exporter.serviceConfig = {
      ProgramArguments = [ "${pkgs.prometheus-node-exporter}/bin/node_exporter" "--web.listen-address=:${toString cfg.nodePort}" ];
      RunAtLoad = true;
      KeepAlive = true;
      UserName = "nobody";
      StandardErrorPath = "/var/log/prometheus-node-exporter.log";
    };
  };
}
