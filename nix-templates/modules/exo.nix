# exo (distributed AI inference) as a hardened systemd service.
#
# Upstream exo-explore/exo ships packages (`exo`; on Linux `exo-cuda-13`) but no NixOS module; this is it.
# The package is picked from `services.exo.packages` by `accelerator` (filled from the exo flake by the
# generated flake.nix), or set `services.exo.package` yourself.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption optionals types;
  cfg = config.services.exo;
  exoArgs = import ../lib/exo-args.nix;
  hardening = import ../lib/service-hardening.nix;
  systemdExec = import ../lib/systemd-exec.nix;

  # Device nodes per accelerator, by the names the kernel gives their majors in /proc/devices.
  devicesFor = {
    cuda = [ "char-nvidia-frontend rw" "char-nvidia-uvm rw" "char-nvidia-caps r" ];
    rocm = [ "char-drm rw" "char-kfd rw" ];
    intel = [ "char-drm rw" ];
    mlx = [ ];
    cpu = [ ];
  };
in
{
  options.services.exo = {
    enable = mkEnableOption "exo, the distributed AI inference node";

    accelerator = mkOption {
      type = types.enum [ "cuda" "rocm" "intel" "mlx" "cpu" ];
      default = "cpu";
      example = "cuda";
      description = ''
        Hardware acceleration of this node: selects the package variant from
        {option}`services.exo.packages` and the GPU device nodes the service may open.
        The generated host configuration sets it from the host's GPUs (NVIDIA → cuda,
        AMD → rocm, Intel → intel, Apple → mlx, none → cpu).
      '';
    };

    packages = mkOption {
      type = types.attrsOf types.package;
      default = { };
      example = lib.literalExpression ''{ cuda = inputs.exo.packages.x86_64-linux.exo-cuda-13; cpu = inputs.exo.packages.x86_64-linux.exo; }'';
      description = ''
        exo builds by accelerator name. The generated flake fills it from the exo flake;
        an accelerator without an entry falls back to `cpu` (with a warning).
      '';
    };

    package = mkOption {
      type = types.package;
      default = cfg.packages.${cfg.accelerator} or cfg.packages.cpu
        or (throw "services.exo: no exo package for accelerator `${cfg.accelerator}`; set services.exo.package or services.exo.packages");
      defaultText = lib.literalExpression "config.services.exo.packages.\${config.services.exo.accelerator} or config.services.exo.packages.cpu";
      description = "The exo package to run.";
    };

    roles = mkOption {
      type = types.listOf (types.enum [ "master" "worker" "api" ]);
      default = [ "worker" ];
      example = [ "master" "api" ];
      description = ''
        What this node does: `master` pins the master election to it (`--force-master`),
        without `worker` it runs no inference (`--no-worker`), without `api` it serves no
        HTTP API (`--no-api`).
      '';
    };

    namespace = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "lab";
      description = "exo cluster namespace (`--namespace`); only nodes with the same namespace join.";
    };

    apiPort = mkOption {
      type = types.port;
      default = 52415;
      description = "Port of the OpenAI-compatible API and dashboard (`--api-port`).";
    };

    zenohPort = mkOption {
      type = types.port;
      default = 52414;
      description = "TCP port of exo's peer-to-peer transport (`--zenoh-port`).";
    };

    discoveryPort = mkOption {
      type = types.port;
      default = 52413;
      description = "UDP port of exo's peer discovery (`--discovery-port`).";
    };

    offline = mkOption {
      type = types.bool;
      default = false;
      description = "Run without internet access, using only models already in the state directory (`--offline`).";
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "More command-line arguments for exo.";
    };

    args = mkOption {
      type = types.listOf types.str;
      readOnly = true;
      default = exoArgs { inherit (cfg) roles namespace apiPort zenohPort discoveryPort offline extraArgs; };
      defaultText = lib.literalMD "computed from roles, ports and namespace";
      description = "The command-line arguments exo is started with.";
    };

    user = mkOption {
      type = types.str;
      default = "exo";
      description = "System user exo runs as.";
    };

    group = mkOption {
      type = types.str;
      default = "exo";
      description = "System group exo runs as.";
    };

    createUser = mkOption {
      type = types.bool;
      default = true;
      description = "Create the user and group as dedicated system accounts (turn off to run as accounts you manage).";
    };

    stateDir = mkOption {
      type = types.str;
      default = "/var/lib/exo";
      readOnly = true;
      description = "Where exo keeps its node identity and downloaded models (systemd StateDirectory).";
    };

    deviceAllow = mkOption {
      type = types.listOf types.str;
      default = devicesFor.${cfg.accelerator};
      defaultText = lib.literalMD "the GPU device nodes of {option}`services.exo.accelerator`";
      description = "systemd DeviceAllow entries: the only devices exo may open besides the pseudo devices.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = true;
      description = "Open exo's ports: the API port (when serving the API), the transport port (TCP) and the discovery port (UDP).";
    };

    firewallInterfaces = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "bond0" ];
      description = "Open the ports only on these interfaces; empty opens them on all.";
    };

    environment = mkOption {
      type = types.attrsOf types.str;
      default = { };
      description = "Extra environment variables for the service.";
    };
  };

  config = mkIf cfg.enable (
    let
      tcpPorts = optionals (builtins.elem "api" cfg.roles) [ cfg.apiPort ] ++ [ cfg.zenohPort ];
      udpPorts = [ cfg.discoveryPort ];
      openings = { allowedTCPPorts = tcpPorts; allowedUDPPorts = udpPorts; };
    in
    {
      warnings = optionals (cfg.accelerator != "cpu" && !(cfg.packages ? ${cfg.accelerator}) && cfg.packages ? cpu) [
        "services.exo: no exo build for accelerator `${cfg.accelerator}`; running the CPU build. Set services.exo.package to use a ${cfg.accelerator} build."
      ];

      users.users = mkIf cfg.createUser {
        ${cfg.user} = {
          isSystemUser = true;
          group = cfg.group;
          home = cfg.stateDir;
          description = "exo inference node";
          # GPU device nodes belong to these groups on NixOS.
          extraGroups = optionals (builtins.elem cfg.accelerator [ "rocm" "intel" ]) [ "video" "render" ];
        };
      };
      users.groups = mkIf cfg.createUser { ${cfg.group} = { }; };

      systemd.services.exo = {
        description = "exo distributed AI inference node";
        wantedBy = [ "multi-user.target" ];
        wants = [ "network-online.target" ];
        after = [ "network-online.target" ];
        # Exponential backoff below replaces systemd's start rate limit.
        startLimitIntervalSec = 0;
        environment = {
          HOME = cfg.stateDir;
          XDG_CACHE_HOME = "${cfg.stateDir}/.cache";
        } // cfg.environment;
        serviceConfig = hardening { name = "exo"; deviceAllow = cfg.deviceAllow; } // {
          # getExe: upstream's builds name their program after the variant (exo, exo-cuda-13).
          ExecStart = systemdExec.args ([ (lib.getExe cfg.package) ] ++ cfg.args);
          User = cfg.user;
          Group = cfg.group;
          StateDirectory = "exo";
          StateDirectoryMode = "0750";
          WorkingDirectory = cfg.stateDir;
          RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" "AF_NETLINK" ];
          LimitNOFILE = 65535;
        };
      };

      networking.firewall = mkIf cfg.openFirewall (
        if cfg.firewallInterfaces == [ ] then openings
        else { interfaces = lib.genAttrs cfg.firewallInterfaces (_: openings); }
      );
    }
  );
}
