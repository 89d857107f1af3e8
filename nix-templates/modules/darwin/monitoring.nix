# Prometheus node exporter on macOS as a launchd daemon (nix-darwin has no exporter modules).
{ config, lib, pkgs, ... }:

let
  cfg = config.gpuCluster.monitoring;
in
{
  # `exporters` is declared as on NixOS (taken from that module, whose declarations do not depend on config), so one
  # name has one type whichever module a reader looks at; macOS runs the node exporter only.
  options.gpuCluster.monitoring = {
    inherit ((import ../monitoring.nix { inherit lib; config = { }; }).options.gpuCluster.monitoring) exporters;
    nodePort = lib.mkOption { type = lib.types.port; default = 9100; description = "Node exporter port."; };
  };

  config = {
    assertions = [{
      assertion = builtins.all (e: e == "node") cfg.exporters;
      message = "gpuCluster.monitoring.exporters: macOS runs the node exporter only, not ${toString (builtins.filter (e: e != "node") cfg.exporters)}";
    }];

    launchd.daemons.prometheus-node-exporter.serviceConfig = lib.mkIf (builtins.elem "node" cfg.exporters) {
      ProgramArguments = [ "${pkgs.prometheus-node-exporter}/bin/node_exporter" "--web.listen-address=:${toString cfg.nodePort}" ];
      RunAtLoad = true;
      KeepAlive = true;
      UserName = "nobody";
      StandardErrorPath = "/var/log/prometheus-node-exporter.log";
    };
  };
}
