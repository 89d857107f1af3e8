# Checkpoint tooling: CRIU everywhere, NVIDIA's cuda-checkpoint on hosts whose GPUs and platform
# support it, and the checkpoint store directory.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption types optionals;
  cfg = config.gpuCluster.checkpoint;
in
{
  options.gpuCluster.checkpoint = {
    enable = mkEnableOption "process checkpoint and restore tooling (CRIU)";

    storeDir = mkOption {
      # A systemd-tmpfiles rule carries it: letters, digits and . _ - + = @ , : / only.
      type = types.strMatching "/[A-Za-z0-9._@+=,:/-]*";
      default = "/var/lib/gpu-cluster/checkpoints";
      description = "Directory checkpoint images are written to (and staged in before upload to S3 or NATS).";
    };

    cudaCheckpoint = {
      enable = mkEnableOption "NVIDIA cuda-checkpoint, to suspend a process's GPU state before CRIU dumps it (x86_64 Linux, NVIDIA driver 570+: the lock with a timeout the checkpoint flow starts with came with 570)";
      package = mkOption {
        type = types.package;
        default = pkgs.cuda-checkpoint;
        defaultText = lib.literalExpression "pkgs.cuda-checkpoint";
        description = "The cuda-checkpoint package (the generated flake's overlay provides it).";
      };
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ pkgs.criu ] ++ optionals cfg.cudaCheckpoint.enable [ cfg.cudaCheckpoint.package ];
    systemd.tmpfiles.rules = [ "d ${cfg.storeDir} 0700 root root -" ];
    assertions = [{
      assertion = cfg.cudaCheckpoint.enable -> pkgs.stdenv.hostPlatform.system == "x86_64-linux";
      message = "gpuCluster.checkpoint.cudaCheckpoint: NVIDIA ships cuda-checkpoint for x86_64 Linux only";
    }];
  };
}
