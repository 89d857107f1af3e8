# Evaluates every host of a generated flake with nixpkgs' real module system (lib.evalModules), through the flake's own
# `outputs` function: the generated flake.nix, modules, host files and disko layouts, as nixos-rebuild would evaluate them.
#
# What this machine lacks is stood in for at the edge, and only there:
#   - nixpkgs' NixOS modules: the upstream options the flake sets are declared from the option facts
#     (nixosDeclarations / darwinDeclarations, emitted by optionDeclarations.ts with the types upstream declares);
#   - packages: derivation-shaped attribute sets (`type = "derivation"`, a store path), and nixpkgs' callPackage;
#   - flake inputs: nixpkgs (its lib is the real one; nixosSystem is lib.evalModules over the declarations),
#     nix-darwin (darwinSystem likewise), exo's packages, cuda-checkpoint's source;
#   - disko: the real disko types (../shared/upstream/disko lib), in a module that maps the layout to fileSystems,
#     boot and swapDevices as disko's module.nix does.
# Upstream assertions and behaviour the flake depends on are restated in `upstreamChecks`, each with its source.
#
# The result, per host: failed assertions, warnings, the number of defined options whose values were forced (every one
# is type checked and every unknown option reported by the module system on the way), and the NATS settings.
{ lib, flakeDir, nixosDeclarations, darwinDeclarations, disko }:
let
  storePath = name: "/nix/store/${builtins.substring 0 32 (builtins.hashString "sha256" name)}-${name}";
  drv = name: {
    type = "derivation";
    inherit name;
    pname = name;
    version = "0";
    outPath = storePath name;
    drvPath = storePath "${name}.drv";
    outputs = [ "out" ];
    meta.mainProgram = name;
  };

  # The packages the templates and the flake use, by attribute path.
  packageNames = [
    "criu" "rdma-core" "iproute2" "nodejs" "intel-compute-runtime" "intel-media-driver" "intel-gpu-tools"
    "prometheus-node-exporter" "nats-server" "systemd" "autoPatchelfHook" "addDriverRunpath" "coreutils"
    "nixos-anywhere" "nixos-rebuild" "natscli" "openssh" "jq" "kubectl" "nixfmt" "k3s"
  ];
  standInPackages = system: final: lib.genAttrs packageNames drv // {
    inherit lib;
    stdenv = {
      hostPlatform = lib.systems.elaborate system;
      mkDerivation = args: drv (args.pname or args.name);
    };
    # As nixpkgs' callPackage: the function's named arguments from the package set, overridden by `args`.
    callPackage = fn: args:
      let f = if builtins.isFunction fn then fn else import fn;
      in f (builtins.intersectAttrs (builtins.functionArgs f) final // args);
    writeShellApplication = args: drv args.name;
    writeText = name: _text: drv name;
    mkShell = args: drv "shell";
    linuxPackages.nvidiaPackages = lib.genAttrs [ "production" "stable" "latest" "beta" "dc" ] (v: drv "nvidia-x11-${v}");
    rocmPackages = lib.genAttrs [ "rocm-smi" "rocminfo" ] drv // { clr = drv "clr" // { icd = drv "clr-icd"; }; };
    nvtopPackages = lib.genAttrs [ "nvidia" "amd" "intel" ] (v: drv "nvtop-${v}");
  };
  pkgsFor = system: overlays: lib.fix (lib.extends (lib.composeManyExtensions overlays) (standInPackages system));

  # nixpkgs' module arguments: pkgs from nixpkgs.hostPlatform and nixpkgs.overlays (nixos/modules/misc/nixpkgs.nix).
  pkgsModule = { config, ... }: {
    _module.args.pkgs = pkgsFor config.nixpkgs.hostPlatform config.nixpkgs.overlays;
  };

  # disko's module.nix (disko 878ec37) declares disko.devices with diskoLib.toplevel and sets
  # fileSystems, boot and swapDevices from the layout's _config.
  diskoLib = import (disko + "/lib") { inherit lib; makeTest = null; eval-config = null; qemu-common = null; };
  diskoModule = { config, ... }: {
    options.disko.devices = lib.mkOption { type = diskoLib.toplevel; default = { }; };
    config = {
      fileSystems = config.disko.devices._config.fileSystems or { };
      boot = config.disko.devices._config.boot or { };
      swapDevices = config.disko.devices._config.swapDevices or [ ];
    };
  };

  upstreamChecks = { config, ... }: {
    assertions = [
      {
        # nixos/modules/hardware/video/nvidia.nix (nixpkgs 4f58def): nvidiaEnabled = elem "nvidia" videoDrivers.
        assertion = !(builtins.elem "nvidia" config.services.xserver.videoDrivers && config.hardware.nvidia.datacenter.enable);
        message = "You cannot configure both X11 and Data Center drivers at the same time.";
      }
      {
        # nixos/modules/security/polkit.nix (nixpkgs 4f58def): extraConfig is written only under mkIf cfg.enable.
        assertion = config.security.polkit.extraConfig != "" -> config.security.polkit.enable;
        message = "security.polkit.extraConfig is set but security.polkit.enable is false: nixpkgs ignores the rules.";
      }
      {
        # nixos/modules/services/cluster/rancher/k3s.nix (nixpkgs 23d67af).
        assertion = config.services.k3s.enable -> (config.services.k3s.role == "agent" -> !config.services.k3s.clusterInit);
        message = "k3s: clusterInit must be false if role is 'agent'";
      }
    ];
  };

  # What nixpkgs' services.nats adds to the settings it writes as nats.conf (nixos/modules/services/networking/nats.nix,
  # nixpkgs 1d51c8b: config = mkIf cfg.enable { services.nats.settings = { server_name; port; jetstream.store_dir }; }).
  upstreamConfig = { config, ... }: {
    services.nats.settings = lib.mkIf config.services.nats.enable {
      server_name = config.services.nats.serverName;
      port = config.services.nats.port;
      jetstream = lib.optionalAttrs config.services.nats.jetstream { store_dir = config.services.nats.dataDir; };
    };
  };

  nixosSystem = { modules, ... }: lib.evalModules {
    class = "nixos";
    modules = [ nixosDeclarations pkgsModule upstreamChecks upstreamConfig ] ++ modules;
  };
  darwinSystem = { modules, ... }: lib.evalModules {
    class = "darwin";
    modules = [ darwinDeclarations pkgsModule ] ++ modules;
  };

  exoPackages = system: {
    exo = drv "exo";
  } // lib.optionalAttrs (lib.hasSuffix "-linux" system) { exo-cuda-13 = drv "exo-cuda-13"; };
  inputs = {
    self = outputs // { outPath = flakeDir; };
    nixpkgs = { outPath = "/nonexistent/nixpkgs"; lib = lib // { inherit nixosSystem; }; };
    nixpkgs-darwin = inputs.nixpkgs;
    nix-darwin.lib = { inherit darwinSystem; };
    disko.nixosModules.disko = diskoModule;
    exo.packages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" "aarch64-darwin" ] exoPackages;
    cuda-checkpoint = { outPath = storePath "cuda-checkpoint-source"; };
  };
  outputs = (import (flakeDir + "/flake.nix")).outputs inputs;

  # Every option that has a definition (or a default) is evaluated in full: the module system type checks each
  # value and reports definitions of undeclared options, also inside submodules.
  # disko.devices carries disko's generated scripts, which only its own builders force; its layout is forced below.
  forceDefined = options:
    let
      skip = o: builtins.elem (builtins.head o.loc) [ "_module" "disko" ];
      defined = builtins.filter (o: o.isDefined && !skip o) (lib.collect lib.isOption options);
    in
    builtins.deepSeq (map (o: o.value) defined) (builtins.length defined);
  # The layout as disko's types read it: every public setting of every disk and pool (disko's own `_` attributes hold
  # its scripts and parent links), and disko's format script for the whole layout.
  forcePublic = v:
    if builtins.isAttrs v then
      builtins.foldl' (acc: n: builtins.seq (forcePublic v.${n}) acc) true (builtins.filter (n: !lib.hasPrefix "_" n) (builtins.attrNames v))
    else if builtins.isList v then builtins.foldl' (acc: x: builtins.seq (forcePublic x) acc) true v
    else v;
  forceLayout = c:
    if c ? disko && c.disko.devices.disk != { } then
      builtins.seq (forcePublic { inherit (c.disko.devices) disk zpool; }) (builtins.stringLength c.disko.devices._create)
    else 0;

  # A declarative container's configuration, evaluated as nixos-containers.nix (nixpkgs 00ef614) does in the merge of
  # `containers.<name>.config`: eval-config.nix over the definitions and its extraConfig (the host's platform,
  # hostName = mkDefault name, useDHCP = false; boot.isNspawnContainer is not among the declared options), and the two
  # upstream assertions on the name (no '_'; at most 11 characters with privateNetwork on kernels before 5.8).
  containerReport = host: name: ct:
    let
      e = nixosSystem {
        modules = [
          {
            nixpkgs.hostPlatform = host.nixpkgs.hostPlatform;
            networking.hostName = lib.mkDefault name;
            networking.useDHCP = false;
            assertions = [
              { assertion = ct.privateNetwork -> builtins.stringLength name <= 11; message = "Container name `${name}` is too long"; }
              { assertion = !lib.hasInfix "_" name; message = "Names containing underscores are not allowed in nixos-containers."; }
            ];
          }
          ct.config
        ];
      };
    in
    {
      forced = forceDefined e.options;
      failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) e.config.assertions);
      environment = e.config.environment.variables;
      stateVersion = e.config.system.stateVersion;
      hostName = e.config.networking.hostName;
      enabledServices = builtins.filter (n: (e.config.services.${n}.enable or false) == true) (builtins.attrNames e.config.services);
      inherit (ct) autoStart privateNetwork hostAddress localAddress allowedDevices;
      bindMounts = builtins.mapAttrs (_: m: { inherit (m) mountPoint hostPath isReadOnly; }) ct.bindMounts;
      unit = host.systemd.services."container@${name}".serviceConfig;
    };

  report = configuration:
    let
      c = configuration.config;
      forced = forceDefined configuration.options;
    in
    builtins.seq forced builtins.seq (forceLayout c) {
      inherit forced;
      failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) c.assertions);
      warnings = c.warnings;
      nats = if c.services ? nats && c.services.nats.enable then {
        inherit (c.services.nats) settings validateConfig;
      } else null;
      gpuClusterNats = if c.gpuCluster ? nats && c.gpuCluster.nats.enable
        then import (flakeDir + "/lib/nats-settings.nix") c.gpuCluster.nats else null;
      polkit = if c ? security then c.security.polkit.enable else null;
      videoDrivers = if c ? services && c.services ? xserver then c.services.xserver.videoDrivers else null;
      tmpfiles = if c ? systemd then c.systemd.tmpfiles.rules else null;
      execStart = if c ? systemd then lib.mapAttrs (_: s: s.serviceConfig.ExecStart or null) c.systemd.services else null;
      timers = if c ? systemd then lib.mapAttrs (_: t: t.timerConfig) c.systemd.timers else null;
      fileSystems = if c ? fileSystems then builtins.attrNames c.fileSystems else null;
      k3sExtraFlags = if c ? services && c.services ? k3s && c.services.k3s.enable then c.services.k3s.extraFlags else null;
      polkitRules = if c ? security then c.security.polkit.extraConfig else null;
      containerUnit = if c ? systemd && c.systemd.services ? "gpu-cluster-container@" then {
        inherit (c.systemd.services."gpu-cluster-container@") serviceConfig startLimitIntervalSec;
      } else null;
      containers = if c ? containers then builtins.mapAttrs (containerReport c) c.containers else null;
      firewallInterfaces = if c ? networking && c.networking ? firewall then builtins.mapAttrs (_: i: i.allowedTCPPorts) c.networking.firewall.interfaces else null;
    };
in
{
  nixos = builtins.mapAttrs (_: report) (outputs.nixosConfigurations or { });
  darwin = builtins.mapAttrs (_: report) (outputs.darwinConfigurations or { });
}
