# exo on Apple Silicon (nix-darwin): a launchd daemon running the MLX build as a dedicated user.
# launchd restarts it when it exits (KeepAlive), no more often than every ThrottleInterval seconds.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption types;
  cfg = config.services.exo;
  exoArgs = import ../../lib/exo-args.nix;
in
{
  options.services.exo = {
    enable = mkEnableOption "exo, the distributed AI inference node";

    accelerator = mkOption {
      type = types.enum [ "mlx" "cpu" ];
      default = "mlx";
      description = "MLX on Apple Silicon's GPU, or CPU only.";
    };

    packages = mkOption {
      type = types.attrsOf types.package;
      default = { };
      description = "exo builds by accelerator name; the generated flake fills it from the exo flake.";
    };

    package = mkOption {
      type = types.package;
      default = cfg.packages.${cfg.accelerator} or cfg.packages.cpu
        or (throw "services.exo: no exo package for accelerator `${cfg.accelerator}`; set services.exo.package");
      defaultText = lib.literalExpression "config.services.exo.packages.\${config.services.exo.accelerator}";
      description = "The exo package to run.";
    };

    roles = mkOption {
      type = types.listOf (types.enum [ "master" "worker" "api" ]);
      default = [ "worker" ];
      description = "`master` → `--force-master`; without `worker` → `--no-worker`; without `api` → `--no-api`.";
    };

    namespace = mkOption { type = types.nullOr types.str; default = null; description = "exo cluster namespace (`--namespace`)."; };
    apiPort = mkOption { type = types.port; default = 52415; description = "API port (`--api-port`)."; };
    zenohPort = mkOption { type = types.port; default = 52414; description = "Transport port (`--zenoh-port`)."; };
    discoveryPort = mkOption { type = types.port; default = 52413; description = "Discovery port (`--discovery-port`)."; };
    offline = mkOption { type = types.bool; default = false; description = "Only use models already downloaded (`--offline`)."; };
    extraArgs = mkOption { type = types.listOf types.str; default = [ ]; description = "More command-line arguments."; };

    args = mkOption {
      type = types.listOf types.str;
      readOnly = true;
      default = exoArgs { inherit (cfg) roles namespace apiPort zenohPort discoveryPort offline extraArgs; };
      description = "The command-line arguments exo is started with.";
    };

    user = mkOption { type = types.str; default = "_exo"; description = "User exo runs as (created by nix-darwin)."; };
    uid = mkOption { type = types.int; default = 530; description = "uid (and gid) of the exo user and group."; };
    stateDir = mkOption { type = types.str; default = "/var/lib/exo"; description = "exo's home: node identity and models."; };
    logFile = mkOption { type = types.str; default = "/var/log/exo.log"; description = "Where launchd writes exo's output."; };
  };

  config = mkIf cfg.enable {
    users.knownUsers = [ cfg.user ];
    users.knownGroups = [ cfg.user ];
    users.groups.${cfg.user} = { gid = cfg.uid; description = "exo inference node"; };
    users.users.${cfg.user} = {
      uid = cfg.uid;
      gid = cfg.uid;
      home = cfg.stateDir;
      createHome = true;
      isHidden = true;
      shell = "/usr/bin/false";
      description = "exo inference node";
    };

    launchd.daemons.exo.serviceConfig = {
      Label = "org.exo.node";
      ProgramArguments = [ (lib.getExe' cfg.package "exo") ] ++ cfg.args;
      UserName = cfg.user;
      GroupName = cfg.user;
      WorkingDirectory = cfg.stateDir;
      EnvironmentVariables = { HOME = cfg.stateDir; };
      RunAtLoad = true;
      KeepAlive = { SuccessfulExit = false; };
      ThrottleInterval = 10;
      ProcessType = "Interactive";
      StandardOutPath = cfg.logFile;
      StandardErrorPath = cfg.logFile;
    };
  };
}
