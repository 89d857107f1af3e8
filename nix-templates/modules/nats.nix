# NATS for the cluster: a hub, or a leaf node connected to the hub, on nixpkgs' `services.nats`
# (JetStream store directory and limits, leaf remotes with credentials files, TLS).
{ config, lib, ... }:

let
  cfg = config.gpuCluster.nats;
  settings = import ../lib/nats-settings.nix cfg;
in
{
  options.gpuCluster.nats = import ../lib/nats-options.nix lib;

  config = lib.mkIf cfg.enable {
    gpuCluster.nats.serverName = lib.mkDefault config.networking.hostName;
    gpuCluster.nats.listenAddress = lib.mkIf (cfg.role == "hub") (lib.mkDefault "0.0.0.0");

    services.nats = {
      enable = true;
      inherit (cfg) serverName;
      host = cfg.listenAddress;
      port = cfg.clientPort;
      jetstream = cfg.jetstream.enable;
      dataDir = cfg.jetstream.storeDir;
      # services.nats sets server_name, host, port and jetstream.store_dir itself.
      settings = builtins.removeAttrs settings [ "server_name" "host" "port" ]
        // lib.optionalAttrs cfg.jetstream.enable { jetstream = builtins.removeAttrs settings.jetstream [ "store_dir" ]; };
    };

    # services.nats only creates its default data directory.
    systemd.tmpfiles.rules = lib.optionals cfg.jetstream.enable [
      "d ${cfg.jetstream.storeDir} 0750 ${config.services.nats.user} ${config.services.nats.group} -"
    ];
    systemd.services.nats.serviceConfig.ReadWritePaths = lib.optionals cfg.jetstream.enable [ cfg.jetstream.storeDir ];

    networking.firewall.allowedTCPPorts = lib.optionals (cfg.role == "hub" && cfg.openFirewall) [ cfg.clientPort cfg.leafnodePort ];
  };
}
