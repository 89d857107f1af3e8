# k3s on nixpkgs' `services.k3s`: role, server address, token file, and the node IP and flannel
# interface taken from the interface the spec names.
{ config, lib, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption types optionals;
  cfg = config.gpuCluster.k3s;
  systemdExec = import ../lib/systemd-exec.nix;
in
{
  options.gpuCluster.k3s = {
    enable = mkEnableOption "k3s";

    role = mkOption {
      type = types.enum [ "server" "agent" ];
      default = "agent";
      description = "Run a k3s server (control plane) or an agent.";
    };

    clusterInit = mkOption {
      type = types.bool;
      default = false;
      description = "This server starts the cluster (embedded etcd); other servers and agents join it.";
    };

    serverAddr = mkOption {
      # services.k3s writes it into ExecStart= as it is: a host name or IPv4 address and a port only.
      type = types.nullOr (types.strMatching "https://[A-Za-z0-9.-]+(:[0-9]+)?/?");
      default = null;
      example = "https://10.0.0.10:6443";
      description = "Server to join; null on the server that starts the cluster.";
    };

    tokenFile = mkOption {
      # services.k3s writes it into ExecStart= as it is: letters, digits and . _ - + = @ , : / only.
      type = types.strMatching "/[A-Za-z0-9._@+=,:/-]*";
      default = "/var/lib/rancher/k3s/token";
      description = "Path of the file holding the cluster join token on the host (never in the Nix store).";
    };

    nodeIP = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "10.1.0.11";
      description = "Address the node advertises (`--node-ip`).";
    };

    interface = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "bond0";
      description = "Interface flannel carries pod traffic on (`--flannel-iface`).";
    };

    extraFlags = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "More k3s command-line flags.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "Open the API server (6443, servers), kubelet (10250), etcd (2379-2380, servers) and flannel VXLAN (8472/udp) ports.";
    };
  };

  config = mkIf cfg.enable {
    services.k3s = {
      enable = true;
      inherit (cfg) role clusterInit tokenFile;
      serverAddr = if cfg.serverAddr == null then "" else cfg.serverAddr;
      # services.k3s joins these into ExecStart= as they are, so each flag is one quoted systemd word.
      extraFlags = systemdExec.args (
        optionals (cfg.nodeIP != null) [ "--node-ip=${cfg.nodeIP}" ]
        ++ optionals (cfg.interface != null) [ "--flannel-iface=${cfg.interface}" ]
        ++ cfg.extraFlags
      );
    };

    networking.firewall = mkIf cfg.openFirewall {
      allowedTCPPorts = [ 10250 ] ++ optionals (cfg.role == "server") [ 6443 2379 2380 ];
      allowedUDPPorts = [ 8472 ];
    };

    assertions = [{
      assertion = cfg.role == "agent" -> cfg.serverAddr != null;
      message = "gpuCluster.k3s: an agent needs serverAddr";
    }];
  };
}
