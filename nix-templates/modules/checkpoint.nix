# Checkpoint tooling: CRIU everywhere, NVIDIA's cuda-checkpoint on hosts whose GPUs and platform
# support it, the checkpoint store directory, and the spec's checkpoint policies as systemd timers: each policy is a
# timer (`OnBootSec`/`OnUnitActiveSec` = its interval) starting a oneshot service that runs
# `gpu-cluster-agent checkpoint policy` (checkpoint the units' GPU processes, leave them running, keep the newest
# `retain` per unit). With `storage.kind` s3 or nats-object-store the run then uploads each new checkpoint there and
# the store keeps the newest `retain` per host and unit; its secrets are files on the host handed to the service by
# LoadCredential (systemd.exec(5)), never copied into the Nix store. Options as nixpkgs declares them: systemd.timers.<name>.timerConfig / wantedBy in
# nixos/lib/systemd-unit-options.nix (timerOptions, sharedOptions; nixpkgs 515c8fb5).
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption types optionals;
  cfg = config.gpuCluster.checkpoint;
  systemdExec = import ../lib/systemd-exec.nix;
  # Policy names become unit names (gpu-checkpoint-<name>.timer): letters, digits, _ and - only.
  policyName = "[A-Za-z0-9][A-Za-z0-9_-]*";
  unitFor = name: "gpu-checkpoint-${name}";
  st = cfg.storage;
  # A file on the host: an absolute path unit lines carry as is (no specifiers, no spaces or newlines). A secret
  # one (LoadCredential=) must also lie outside the world-readable Nix store (an assertion below).
  hostFile = types.nullOr (types.strMatching "/[A-Za-z0-9._@+=,:/-]*");
  # A NATS server URL as the unit's command line carries it: no spaces, quotes or specifiers.
  natsUrl = types.strMatching "(nats|tls)://[A-Za-z0-9._:@-]+";
  outsideStore = f: f == null || !(lib.hasPrefix builtins.storeDir f);
  storageArgs = optionals (st.kind != "local") ([ "--storage" st.kind "--bucket" st.bucket ]
    ++ optionals (st.kind == "s3" && st.endpoint != null) [ "--endpoint" st.endpoint ]
    ++ optionals (st.kind == "s3" && st.region != null) [ "--region" st.region ]
    ++ optionals (st.kind == "nats-object-store" && st.natsUrl != null) [ "--nats-url" (lib.concatStringsSep "," (lib.toList st.natsUrl)) ]
    ++ optionals (st.kind == "nats-object-store" && st.natsCaFile != null) [ "--tls-ca" st.natsCaFile ]);
  # `%d` is the service's credentials directory; written after the quoted words so systemd expands it.
  credentialArgs = lib.optionalString (st.kind == "s3") " --s3-credentials %d/s3.credentials"
    + lib.optionalString (st.kind == "nats-object-store" && st.natsCredentialsFile != null) " --nats-creds %d/nats.creds";
  loadCredential = optionals (st.kind == "s3" && st.credentialsFile != null) [ "s3.credentials:${st.credentialsFile}" ]
    ++ optionals (st.kind == "nats-object-store" && st.natsCredentialsFile != null) [ "nats.creds:${st.natsCredentialsFile}" ];
  policy = types.submodule ({ name, ... }: {
    options = {
      name = mkOption {
        # The attribute name, checked: it becomes the timer's and the service's unit name.
        type = types.strMatching policyName;
        default = name;
        defaultText = lib.literalMD "the attribute name";
        description = "The policy's name: its units are gpu-checkpoint-<name>.timer and .service.";
      };
      units = mkOption {
        # The same names the policy runner accepts (core/src/checkpoint/policy.ts UNIT_NAME).
        type = types.nonEmptyListOf (types.strMatching "[A-Za-z0-9@_.:-]+");
        example = [ "exo.service" ];
        description = "systemd units whose GPU processes are checkpointed (`exo` means `exo.service`).";
      };
      interval = mkOption {
        # A systemd time span (systemd.time(7)) of one number and unit, as the spec's schema allows.
        type = types.strMatching "[0-9]+(s|m|h|d)";
        example = "1h";
        description = "How often: after boot and then this long after each run.";
      };
      retain = mkOption {
        type = types.ints.positive;
        default = 3;
        description = "How many checkpoints to keep per unit; older ones are deleted after each run.";
      };
    };
  });
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

    lockTimeoutMs = mkOption {
      type = types.ints.positive;
      default = 10000;
      description = "How long cuda-checkpoint may wait to lock a process's CUDA API (`--timeout`, driver 570+).";
    };

    policies = mkOption {
      type = types.attrsOf policy;
      default = { };
      example = lib.literalExpression ''{ hourly = { units = [ "exo" ]; interval = "1h"; retain = 3; }; }'';
      description = "Checkpoint policies, each run by its own systemd timer (gpu-checkpoint-<name>.timer).";
    };

    storage = {
      kind = mkOption {
        type = types.enum [ "local" "s3" "nats-object-store" ];
        default = "local";
        description = "Where policy checkpoints go besides the host: `local` keeps them in storeDir only.";
      };
      bucket = mkOption {
        # S3 names (lower-case, dots, hyphens) and NATS object store names (letters, digits, _ and -) both match.
        type = types.nullOr (types.strMatching "[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
        default = null;
        description = "The S3 bucket or NATS object store bucket.";
      };
      endpoint = mkOption {
        type = types.nullOr (types.strMatching "https?://[A-Za-z0-9.-]+(:[0-9]+)?/?");
        default = null;
        example = "https://s3.lab:9000";
        description = "s3: an S3-compatible endpoint (path-style requests); AWS's regional endpoint when null.";
      };
      region = mkOption {
        # Spliced into the service's command line: a region name's letters, digits and hyphens only.
        type = types.nullOr (types.strMatching "[a-z0-9][a-z0-9-]*");
        default = null;
        example = "eu-central-1";
        description = "s3: the region requests are signed for (AWS Signature Version 4); us-east-1 when null.";
      };
      credentialsFile = mkOption {
        type = hostFile;
        default = null;
        example = "/run/secrets/checkpoint-s3.env";
        description = "s3: a file on the host with `AWS_ACCESS_KEY_ID=…` and `AWS_SECRET_ACCESS_KEY=…` lines (or an AWS credentials file), e.g. from sops-nix or agenix; handed to the service by LoadCredential.";
      };
      natsUrl = mkOption {
        type = types.nullOr (types.either natsUrl (types.listOf natsUrl));
        default = null;
        description = "nats-object-store: the NATS server(s) (the generated flake passes the agent's).";
      };
      natsCredentialsFile = mkOption {
        type = hostFile;
        default = null;
        description = "nats-object-store: a NATS .creds file on the host (the generated flake passes the agent's); handed to the service by LoadCredential.";
      };
      natsCaFile = mkOption {
        # A CA certificate is public: its path is passed as is (`--tls-ca`, as services.gpu-cluster-agent passes it).
        type = hostFile;
        default = null;
        example = "/etc/nats/ca.pem";
        description = "nats-object-store: the CA that signed a `tls://` server's certificate (the generated flake passes the agent's, `nats.tls.caFile`); the system's CAs when null.";
      };
    };

    agentPackage = mkOption {
      type = types.package;
      default = pkgs.gpu-cluster-agent;
      defaultText = lib.literalExpression "pkgs.gpu-cluster-agent";
      description = "Package providing `bin/gpu-cluster-agent`, whose `checkpoint policy` runs a policy (the generated flake's overlay provides it).";
    };
  };

  config = mkIf cfg.enable {
    environment.systemPackages = [ pkgs.criu ] ++ optionals cfg.cudaCheckpoint.enable [ cfg.cudaCheckpoint.package ];
    systemd.tmpfiles.rules = [ "d ${cfg.storeDir} 0700 root root -" ];

    systemd.timers = lib.mapAttrs' (_: p: lib.nameValuePair (unitFor p.name) {
      description = "Checkpoint policy ${p.name}";
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnBootSec = p.interval;
        OnUnitActiveSec = p.interval;
        Unit = "${unitFor p.name}.service";
      };
    }) cfg.policies;

    systemd.services = lib.mapAttrs' (_: p: lib.nameValuePair (unitFor p.name) {
      description = "Checkpoint policy ${p.name}: checkpoint the GPU processes of ${lib.concatStringsSep ", " p.units}";
      # criu and cuda-checkpoint from this module; nvidia-smi from the system profile (the driver's package).
      path = [ pkgs.criu "/run/current-system/sw" ] ++ optionals cfg.cudaCheckpoint.enable [ cfg.cudaCheckpoint.package ];
      serviceConfig = {
        Type = "oneshot";
        # Root: CRIU and cuda-checkpoint act on other services' processes.
        ExecStart = systemdExec.args ([
          (lib.getExe' cfg.agentPackage "gpu-cluster-agent") "checkpoint" "policy"
          "--dir" cfg.storeDir
          "--retain" p.retain
          "--lock-timeout" cfg.lockTimeoutMs
          "--host" config.networking.hostName
        ] ++ lib.concatMap (u: [ "--unit" u ]) p.units ++ storageArgs) + credentialArgs;
        LoadCredential = loadCredential;
      };
      # The store is reached over the network.
      after = optionals (st.kind != "local") [ "network-online.target" ];
      wants = optionals (st.kind != "local") [ "network-online.target" ];
    }) cfg.policies;
    assertions = [
      { assertion = st.kind == "local" || st.bucket != null; message = "gpuCluster.checkpoint.storage.bucket is needed for ${st.kind} storage"; }
      { assertion = st.kind != "s3" || st.credentialsFile != null; message = "gpuCluster.checkpoint.storage.credentialsFile is needed for s3 storage (a file on the host with the keys)"; }
      { assertion = st.kind != "nats-object-store" || st.natsUrl != null; message = "gpuCluster.checkpoint.storage.natsUrl is needed for nats-object-store storage"; }
      {
        assertion = outsideStore st.credentialsFile && outsideStore st.natsCredentialsFile;
        message = "gpuCluster.checkpoint.storage: credential files must be paths outside the Nix store (they hold secrets)";
      }
    ] ++ [{
      assertion = cfg.cudaCheckpoint.enable -> pkgs.stdenv.hostPlatform.system == "x86_64-linux";
      message = "gpuCluster.checkpoint.cudaCheckpoint: NVIDIA ships cuda-checkpoint for x86_64 Linux only";
    }];
  };
}
