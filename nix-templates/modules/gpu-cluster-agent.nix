# The GPU cluster node agent (agent/ in the extension's repository, bundled as dist/agent.js) as a hardened
# systemd service: a NATS service that publishes telemetry on `{domain}.events.{host}.telemetry`, answers
# `{domain}.commands.{host}.*` and appends its events to `{domain}.events.{host}.{action}`. The generated flake
# packages it (`packages.<system>.gpu-cluster-agent`) and enables it on every NixOS host of a cluster with `nats.url`.
#
# Containers: nixos-container needs root and the agent has no privileges (DynamicUser, NoNewPrivileges, no
# capabilities). With `manageContainers` (on wherever the host declares gpuCluster.containers) each nixos-container call
# is the root template unit gpu-cluster-container@<verb>-<name>.service (or @list), which the agent starts with
# `systemctl start`; a polkit rule lets the agent's user start exactly those units and nothing else. The unit's program
# (`gpu-cluster-agent container-helper`, agent/src/containerHelper.ts) checks the instance and the request file again
# as hostile input and answers through a result file only the agent can read. docs/nats.md explains why this is safe.
#
# Credentials: `credentialsFile` is a path on the host (a NATS .creds file, e.g. from sops-nix or agenix); it is
# handed to the service with systemd's LoadCredential, never copied into the Nix store. The agent's NATS user
# should have the permissions in docs/nats.md (its own host's subjects only).
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkOption optionals types;
  cfg = config.services.gpu-cluster-agent;
  hardening = import ../lib/service-hardening.nix;
  systemdExec = import ../lib/systemd-exec.nix;

  # The root template unit for nixos-container calls, and where a call's request and result lie. Requests: the agent's
  # StateDirectory (with DynamicUser the real directory is /var/lib/private/gpu-cluster-agent, 0700 below a root-only
  # /var/lib/private, and this path a link to it: systemd.exec(5) DynamicUser=), so only the agent and root reach
  # them. Results: root's own directory; each result file belongs to the requesting agent, mode 0600.
  containerUnit = "gpu-cluster-container";
  containerRequests = "/var/lib/gpu-cluster-agent/container-requests";
  containerResults = "/run/gpu-cluster-container";
  # nixos-containers.nix (nixpkgs 00ef614) puts nixos-container into environment.systemPackages (boot.enableContainers).
  nixosContainer = "/run/current-system/sw/bin/nixos-container";
  # The unit names the polkit rule admits: the instances agent/src/containerHelper.ts accepts (core/src/ops/containers.ts
  # containerUnitInstance), anchored, nothing that systemd would have to escape (no '\', no '.', no '_').
  containerUnitPattern = "^${containerUnit}@(list|(create|start|stop|destroy|status)-${import ../lib/container-name.nix})\\.service$";
  manageContainers = cfg.manageContainers && cfg.containerTool != null;

  # nvidia-smi talks to the driver through these nodes (NVML opens them read-write even for queries);
  # rocm-smi reads sysfs and needs the DRM nodes only to read.
  devicesFor = {
    auto = [ "char-nvidia-frontend rw" "char-drm r" ];
    nvidia = [ "char-nvidia-frontend rw" ];
    amd = [ "char-drm r" ];
    none = [ ];
  };
in
{
  options.services.gpu-cluster-agent = {
    enable = mkEnableOption "the GPU cluster node agent (telemetry and commands over NATS)";

    bundle = mkOption {
      type = types.nullOr types.path;
      default = null;
      example = lib.literalExpression "./pkgs/gpu-cluster-agent/agent.js";
      description = ''
        The extension's `dist/agent.js` (one self-contained file). When set, {option}`package` defaults to it,
        run by Node.js.
      '';
    };

    package = mkOption {
      type = types.package;
      default =
        if cfg.bundle == null then throw "services.gpu-cluster-agent: set `bundle` (the extension's dist/agent.js) or `package`"
        else pkgs.callPackage ../pkgs/gpu-cluster-agent.nix { inherit (cfg) bundle; };
      defaultText = lib.literalMD "`bundle` run by `pkgs.nodejs`";
      description = "Package providing `bin/gpu-cluster-agent`.";
    };

    natsUrl = mkOption {
      type = types.either types.str (types.listOf types.str);
      default = "nats://127.0.0.1:4222";
      example = [ "nats://10.0.0.10:4222" "nats://10.0.0.11:4222" ];
      description = "NATS server(s) the agent connects to, usually the host's own leaf node.";
    };

    credentialsFile = mkOption {
      # Unit file lines carry it (LoadCredential=, ConditionPathExists=): letters, digits and . _ - + = @ , : / only.
      type = types.nullOr (types.strMatching "/[A-Za-z0-9._@+=,:/-]*");
      default = null;
      example = "/run/secrets/nats-agent.creds";
      description = ''
        Absolute path, on the host, of the agent's NATS credentials (.creds) file. Only the path goes into the
        configuration; systemd passes the file to the service (LoadCredential). Null connects without credentials.
      '';
    };

    domain = mkOption {
      type = types.strMatching "[A-Za-z0-9_.-]+";
      example = "lab";
      description = "The cluster's `cluster.domain`: the NATS subject prefix.";
    };

    hostName = mkOption {
      type = types.strMatching "[A-Za-z0-9_-]+";
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = "This host's name in the cluster spec; the agent answers `{domain}.commands.{hostName}.*` only.";
    };

    interval = mkOption {
      type = types.strMatching "[0-9]+(\\.[0-9]+)?(ms|s|m)?";
      default = "1s";
      example = "5s";
      description = "Telemetry period (`500ms`, `1s`, `1m`).";
    };

    gpu = mkOption {
      type = types.enum [ "auto" "nvidia" "amd" "none" ];
      default = "auto";
      description = "Which GPU tool to query: nvidia-smi, rocm-smi, both (auto) or none.";
    };

    exoUrl = mkOption {
      type = types.str;
      default = "http://127.0.0.1:${toString (config.services.exo.apiPort or 52415)}";
      defaultText = lib.literalExpression ''"http://127.0.0.1:''${toString config.services.exo.apiPort}"'';
      description = "exo's API, whose /state the agent reads for this host's node: the host's own API where exo serves one, the API host's where exo runs with --no-api (the generated flake sets it); empty to skip.";
    };

    controlExo = mkOption {
      type = types.bool;
      default = config.services.exo.enable or false;
      defaultText = lib.literalExpression "config.services.exo.enable";
      description = "Allow the agent (via a polkit rule) to start and stop exo.service, and nothing else.";
    };

    checkpointHelper = mkOption {
      type = types.nullOr (types.listOf types.str);
      default = null;
      description = ''
        Program (argv) that creates or restores checkpoints (`… create <unit>`, `… restore <id>`), printing JSON.
        The agent itself has no privileges for CRIU; without a helper it answers checkpoint.create/restore with
        "not handled here" and the extension uses SSH instead.
      '';
    };

    manageContainers = mkOption {
      type = types.bool;
      default = (config.gpuCluster.containers or { }) != { };
      defaultText = lib.literalExpression "config.gpuCluster.containers != { }";
      description = ''
        Let the agent run `nixos-container` (container.create/start/stop/destroy/list/status) through the root template
        unit `gpu-cluster-container@<verb>-<name>.service`, which a polkit rule lets the agent's user start and nothing
        else. On by default on a host with containers in the spec.
      '';
    };

    containerTool = mkOption {
      type = types.nullOr (types.listOf types.str);
      default = if cfg.manageContainers then [ (lib.getExe' config.systemd.package "systemctl") ] else null;
      defaultText = lib.literalMD "`systemctl` with {option}`manageContainers`, else null";
      description = ''
        With {option}`manageContainers`: the `systemctl` (argv) that starts the root unit. Without it: a program (argv)
        the agent runs as `nixos-container` itself, unprivileged. Null: the agent answers the container commands with
        "not handled here".
      '';
    };

    declaredContainers = mkOption {
      # Names only compared with what the host reports; gpuCluster.containers asserts what a name may be.
      type = types.listOf types.str;
      default = builtins.attrNames (config.gpuCluster.containers or { });
      defaultText = lib.literalExpression "builtins.attrNames config.gpuCluster.containers";
      description = "The spec's containers on this host; other imperatively created containers are reported as drift.";
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      description = "More command-line arguments for the agent.";
    };
  };

  config = mkIf cfg.enable {
    assertions = [{
      assertion = cfg.credentialsFile == null
        || (lib.hasPrefix "/" cfg.credentialsFile && !(lib.hasPrefix builtins.storeDir cfg.credentialsFile));
      message = "services.gpu-cluster-agent.credentialsFile must be an absolute path outside the Nix store (it holds a secret).";
    }];

    systemd.services.gpu-cluster-agent = {
      description = "GPU cluster node agent (NATS telemetry and commands)";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ] ++ optionals (config.services.nats.enable or false) [ "nats.service" ];
      # Exponential backoff below replaces systemd's start rate limit.
      startLimitIntervalSec = 0;
      # nvidia-smi / rocm-smi come from the system profile; systemctl for exo.start/stop.
      path = [ config.systemd.package "/run/current-system/sw" ];
      # Without its credentials file the unit is skipped ("condition failed" in the journal) rather than failed, so
      # a host deploys cleanly before its credentials are provisioned; start it (or deploy again) once the file is there.
      unitConfig = lib.optionalAttrs (cfg.credentialsFile != null) { ConditionPathExists = cfg.credentialsFile; };
      serviceConfig = hardening { name = "gpu-cluster-agent"; deviceAllow = devicesFor.${cfg.gpu}; } // {
        # `%d` is systemd's credentials directory: the one specifier the command line means to use.
        ExecStart = systemdExec.args ([
          (lib.getExe' cfg.package "gpu-cluster-agent")
          "--nats-url" (lib.concatStringsSep "," (lib.toList cfg.natsUrl))
          "--domain" cfg.domain
          "--host" cfg.hostName
          "--interval" cfg.interval
          "--gpu" cfg.gpu
          "--exo-url" cfg.exoUrl
        ] ++ lib.concatMap (a: [ "--checkpoint-helper" a ]) (if cfg.checkpointHelper == null then [ ] else cfg.checkpointHelper)
          ++ lib.concatMap (a: [ "--container-tool" a ]) (if cfg.containerTool == null then [ ] else cfg.containerTool)
          ++ lib.concatMap (n: [ "--declared-container" n ]) (if cfg.containerTool == null then [ ] else cfg.declaredContainers)
          ++ optionals manageContainers [
            "--container-unit" containerUnit
            "--container-requests" containerRequests
            "--container-results" containerResults
          ]
          ++ cfg.extraArgs) + lib.optionalString (cfg.credentialsFile != null) " --creds %d/nats.creds";
        LoadCredential = optionals (cfg.credentialsFile != null) [ "nats.creds:${cfg.credentialsFile}" ];

        DynamicUser = true;
        User = "gpu-cluster-agent";
        StateDirectory = "gpu-cluster-agent";
        StateDirectoryMode = "0700";
        SupplementaryGroups = optionals (builtins.elem cfg.gpu [ "auto" "amd" ]) [ "video" "render" ];

        # Exit code 2 (NATS refused the credentials) is retried too, with the shared backoff.
        ProtectProc = "invisible";
        MemoryDenyWriteExecute = false; # Node's JIT needs W+X pages
        SystemCallFilter = [ "@system-service" "~@privileged" "~@resources" ];
        RestrictAddressFamilies = [ "AF_INET" "AF_INET6" "AF_UNIX" ];
        UMask = "0077";
      };
    };

    # The root side of container management: one oneshot unit per call. `systemctl start` returns once the program has
    # exited (systemd.service(5) Type=oneshot: the start job is done when the process exits), with failure if it failed.
    systemd.services."${containerUnit}@" = mkIf manageContainers {
      description = "nixos-container call %i for the GPU cluster agent";
      # nixos-container runs systemctl, machinectl, nix-env and its helpers from the system profile.
      path = [ config.systemd.package "/run/current-system/sw" ];
      # Every call is a start: systemd's default start limit (5 in 10 s per unit) would refuse a sixth `list`.
      startLimitIntervalSec = 0;
      serviceConfig = {
        Type = "oneshot";
        # `%i`, the instance as written (systemd.unit(5)), is the only word systemd expands; the helper checks it. After
        # `--` it is never read as an option, whatever it starts with.
        ExecStart = systemdExec.args [
          (lib.getExe' cfg.package "gpu-cluster-agent") "container-helper"
          "--requests" containerRequests
          "--results" containerResults
          "--tool" nixosContainer
          "--"
        ] + " %i";
        # A oneshot start has no timeout by default; a create builds a NixOS system, the agent waits an hour for it.
        TimeoutStartSec = "1h";
        StandardOutput = "journal";
        StandardError = "journal";
        SyslogIdentifier = containerUnit;
      };
    };
    systemd.tmpfiles.rules = optionals manageContainers [ "d ${containerResults} 0755 root root -" ];

    # nixpkgs reads extraConfig only with polkit enabled, which it is not by default. The rules hold no option values.
    # polkit(8): each rule is called with the action and the subject; `action.lookup("unit")` / `("verb")` are the
    # details systemd passes for manage-units (systemd 88ced61: the unit's primary name and the systemctl verb), and
    # `subject.user` the caller's user name: for the agent, DynamicUser's name, which is User= (systemd.exec(5)).
    # polkit's JavaScript engine (duktape) is ES5: no let, arrow functions or String.prototype.includes.
    security.polkit.enable = mkIf (cfg.controlExo || manageContainers) true;
    security.polkit.extraConfig = lib.mkMerge [
      # exo.start / exo.stop: the agent's user may start, stop and restart exo.service, nothing else.
      (mkIf cfg.controlExo ''
        polkit.addRule(function (action, subject) {
          if (action.id == "org.freedesktop.systemd1.manage-units"
              && action.lookup("unit") == "exo.service"
              && ["start", "stop", "restart"].indexOf(action.lookup("verb")) >= 0
              && subject.user == "gpu-cluster-agent") {
            return polkit.Result.YES;
          }
        });
      '')
      # Containers: the agent's user may start the container units, and do nothing else with them.
      (mkIf manageContainers ''
        polkit.addRule(function (action, subject) {
          if (action.id == "org.freedesktop.systemd1.manage-units"
              && subject.user == "gpu-cluster-agent"
              && action.lookup("verb") == "start"
              && /${containerUnitPattern}/.test(action.lookup("unit"))) {
            return polkit.Result.YES;
          }
        });
      '')
    ];
  };
}
