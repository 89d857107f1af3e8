# NATS for the cluster: a hub, or a leaf node connected to the hub, on nixpkgs' `services.nats`
# (JetStream store directory and limits, leaf remotes with credentials files, TLS).
# The nix-darwin module (darwin/nats.nix) declares the same options by importing this file's.
{ config, lib, ... }:

let
  inherit (lib) mkEnableOption mkOption types;
  cfg = config.gpuCluster.nats;
  settings = import ../lib/nats-settings.nix cfg;
in
{
  options.gpuCluster.nats = {
    enable = mkEnableOption "a NATS server (hub or leaf node) for the cluster";

    role = mkOption {
      type = types.enum [ "hub" "leaf" ];
      default = "leaf";
      description = ''
        `hub` accepts leaf node connections and clients from the network; `leaf` serves local
        clients and connects to the hub through {option}`gpuCluster.nats.leafRemotes`.
      '';
    };

    serverName = mkOption {
      type = types.str;
      description = "Unique name of this NATS server (the host name).";
    };

    listenAddress = mkOption {
      type = types.str;
      default = "127.0.0.1";
      example = "0.0.0.0";
      description = "Address the client port listens on; a hub listens on all addresses.";
    };

    clientPort = mkOption { type = types.port; default = 4222; description = "Client port."; };
    leafnodePort = mkOption { type = types.port; default = 7422; description = "Port a hub accepts leaf node connections on."; };
    monitoringPort = mkOption { type = types.port; default = 8222; description = "HTTP monitoring port (bound to the listen address)."; };

    jetstream = {
      enable = mkEnableOption "JetStream persistence" // { default = true; };
      storeDir = mkOption {
        # A systemd-tmpfiles rule carries it: letters, digits and . _ - + = @ , : / only.
        type = types.strMatching "/[A-Za-z0-9._@+=,:/-]*";
        default = "/var/lib/nats/jetstream";
        description = "Directory JetStream stores streams in.";
      };
      maxMemory = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "4G";
        description = "Memory limit of memory-backed streams (`max_memory_store`).";
      };
      maxStore = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "100G";
        description = "Disk limit of file-backed streams (`max_file_store`).";
      };
      domain = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = ''
          JetStream domain. The hub and every leaf node need different domains, so that each leaf keeps its own
          streams and `$JS.<domain>.API` names exactly one JetStream; the generated hosts set one per server.
        '';
      };
    };

    leafRemotes = mkOption {
      default = [ ];
      description = "Hubs a leaf node connects to.";
      type = types.listOf (types.submodule {
        options = {
          url = mkOption { type = types.str; example = "nats://10.0.0.10:7422"; description = "URL of the hub's leaf node port."; };
          credentials = mkOption {
            type = types.nullOr types.str;
            default = null;
            example = "/var/lib/nats/leaf.creds";
            description = "Path of a credentials file on the host (never copied into the Nix store).";
          };
          account = mkOption {
            type = types.nullOr (types.strMatching "[A-Za-z0-9_-]+");
            default = null;
            description = ''
              Local account bound to this remote. nats-server refuses to start when the account is not defined, so
              the module defines it (with JetStream) and makes it the account of the leaf's local clients.
            '';
          };
        };
      });
    };

    tls = mkOption {
      default = null;
      description = "TLS for clients and leaf node connections; key and certificate are read from the host at run time.";
      type = types.nullOr (types.submodule {
        options = {
          certFile = mkOption { type = types.str; description = "Certificate (PEM) path on the host."; };
          keyFile = mkOption { type = types.str; description = "Private key (PEM) path on the host."; };
          caFile = mkOption {
            type = types.nullOr types.str;
            default = null;
            description = "CA bundle to verify peers with; leaf nodes also verify the hub with it on `tls://` remotes.";
          };
          verify = mkOption { type = types.bool; default = false; description = "Require client certificates."; };
        };
      });
    };

    containerUsers = mkOption {
      default = [ ];
      description = ''
        NATS users of this host's containers (gpuCluster.containers): each logs in with its nkey and may use only the
        subjects listed (and answer requests it received). Every other client stays the unauthenticated local user.
      '';
      type = types.listOf (types.submodule {
        options = {
          nkey = mkOption { type = types.strMatching "U[A-Z2-7]{55}"; description = "Public nkey of the user."; };
          publish = mkOption { type = types.listOf types.str; default = [ ]; description = "Subjects it may publish to."; };
          subscribe = mkOption { type = types.listOf types.str; default = [ ]; description = "Subjects it may subscribe to."; };
        };
      });
    };

    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "On a hub, open the client and leaf node ports.";
    };
  };

  config = lib.mkIf cfg.enable {
    gpuCluster.nats.serverName = lib.mkDefault config.networking.hostName;
    gpuCluster.nats.listenAddress = lib.mkIf (cfg.role == "hub") (lib.mkDefault "0.0.0.0");

    services.nats = {
      enable = true;
      inherit (cfg) serverName;
      port = cfg.clientPort;
      jetstream = cfg.jetstream.enable;
      dataDir = cfg.jetstream.storeDir;
      # services.nats sets server_name, port and jetstream.store_dir itself; the listen address is `settings.host`.
      settings = builtins.removeAttrs settings [ "server_name" "port" ]
        // lib.optionalAttrs cfg.jetstream.enable { jetstream = builtins.removeAttrs settings.jetstream [ "store_dir" ]; };
      # services.nats runs `nats-server -c conf -t` while building the system (validateConfig), and nats-server
      # reads TLS certificates and keys while it parses: they exist on the host, not in the build sandbox.
      validateConfig = lib.mkIf (cfg.tls != null) (lib.mkDefault false);
    };

    # services.nats only creates its default data directory.
    systemd.tmpfiles.rules = lib.optionals cfg.jetstream.enable [
      "d ${cfg.jetstream.storeDir} 0750 ${config.services.nats.user} ${config.services.nats.group} -"
    ];
    systemd.services.nats.serviceConfig.ReadWritePaths = lib.optionals cfg.jetstream.enable [ cfg.jetstream.storeDir ];

    networking.firewall.allowedTCPPorts = lib.optionals (cfg.role == "hub" && cfg.openFirewall) [ cfg.clientPort cfg.leafnodePort ];
  };
}
