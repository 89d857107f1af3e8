# Prometheus exporters the spec asks for, on nixpkgs' services.prometheus.exporters.
{ config, lib, ... }:

let
  inherit (lib) mkIf mkOption types;
  cfg = config.gpuCluster.monitoring;
  wants = exporter: builtins.elem exporter cfg.exporters;
in
{
  options.gpuCluster.monitoring = {
    exporters = mkOption {
      type = types.listOf (types.enum [ "node" "nvidia-gpu" "amd-gpu" "nats" "smartctl" ]);
      default = [ ];
      example = [ "node" "nvidia-gpu" ];
      description = ''
        Exporters to run. `amd-gpu` turns on the node exporter's `drm` collector (amdgpu
        metrics); `nats` scrapes the local NATS server's monitoring port.
      '';
    };

    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "Open the exporters' ports so a Prometheus server can scrape them.";
    };

    natsMonitoringUrl = mkOption {
      type = types.str;
      default = "http://127.0.0.1:8222";
      description = "The NATS monitoring endpoint the NATS exporter reads.";
    };
  };

  config = {
    services.prometheus.exporters = {
      node = mkIf (wants "node" || wants "amd-gpu") {
        enable = true;
        inherit (cfg) openFirewall;
        enabledCollectors = [ "systemd" ] ++ lib.optionals (wants "amd-gpu") [ "drm" ];
      };
      nvidia-gpu = mkIf (wants "nvidia-gpu") {
        enable = true;
        inherit (cfg) openFirewall;
      };
      nats = mkIf (wants "nats") {
        enable = true;
        inherit (cfg) openFirewall;
        url = cfg.natsMonitoringUrl;
      };
      smartctl = mkIf (wants "smartctl") {
        enable = true;
        inherit (cfg) openFirewall;
      };
    };
  };
}
