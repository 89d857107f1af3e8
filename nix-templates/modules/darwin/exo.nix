# exo on Apple Silicon (nix-darwin): a launchd daemon running the MLX build as a dedicated user.
# launchd restarts it when it exits (KeepAlive), no more often than every ThrottleInterval seconds.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkIf mkOption types;
  cfg = config.services.exo;
  exoArgs = import ../../lib/exo-args.nix;
in
{
  # nix-darwin evaluates with class "darwin" (nix-darwin eval-config.nix): this module belongs there only.
  _class = "darwin";
  # Options shared with the NixOS module are taken from it (its declarations do not depend on config).
  options.services.exo = builtins.intersectAttrs
    (lib.genAttrs [ "enable" "packages" "roles" "namespace" "apiPort" "zenohPort" "discoveryPort" "offline" "extraArgs" ] (_: null))
    (import ../exo.nix { inherit lib; config = { }; pkgs = { }; }).options.services.exo
  // {
    accelerator = mkOption {
      type = types.enum [ "mlx" "cpu" ];
      default = "mlx";
      description = "MLX on Apple Silicon's GPU, or CPU only.";
    };

    package = mkOption {
      type = types.package;
      default = cfg.packages.${cfg.accelerator} or cfg.packages.cpu
        or (throw "services.exo: no exo package for accelerator `${cfg.accelerator}`; set services.exo.package");
      defaultText = lib.literalExpression "config.services.exo.packages.\${config.services.exo.accelerator}";
      description = "The exo package to run.";
    };

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
      ProgramArguments = [ (lib.getExe cfg.package) ] ++ cfg.args;
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
