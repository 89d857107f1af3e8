# nixos-containers declared by the spec (hosts[].containers): nixpkgs' `containers.<name>` with a private veth pair,
# limits on the `container@<name>` unit, bind mounts, the host's NVIDIA devices, and NATS as the only way out: the
# container reaches nothing but the host's NATS client port on its `ve-<name>` interface (the host does not forward
# for it: no networking.nat), and logs in there as its own nkey user, allowed only its own subjects.
# Upstream: nixos/modules/virtualisation/nixos-containers.nix (nixpkgs 00ef614): privateNetwork, hostAddress,
# localAddress, bindMounts.<mountPoint>.{hostPath,isReadOnly}, allowedDevices.*.{node,modifier} (DeviceAllow, with
# DevicePolicy=closed), autoStart; the unit is `container@<name>` in machine.slice.
{ config, lib, ... }:

let
  inherit (lib) mkOption types;
  cfg = config.gpuCluster.containers;
  nats = config.gpuCluster.nats;
  containerName = import ../lib/container-name.nix;
  ipv4 = types.strMatching "((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
  # Written unquoted into systemd-nspawn's --bind flags (EXTRA_NSPAWN_FLAGS): no spaces, quotes or ':'.
  plainPath = types.strMatching "/[A-Za-z0-9._@+=,/-]*";
  subject = types.strMatching "([A-Za-z0-9_$-]+|\\*)(\\.([A-Za-z0-9_$-]+|\\*))*(\\.>)?";
  credentialsMount = "/run/nats/credentials";

  containerOptions = { name, ... }: {
    options = {
      services = mkOption {
        type = types.listOf (types.strMatching "[A-Za-z_][A-Za-z0-9_-]*");
        default = [ ];
        description = "NixOS services enabled inside the container (`services.<name>.enable = true`).";
      };
      autoStart = mkOption { type = types.bool; default = false; description = "Start the container at boot."; };
      cpus = mkOption {
        type = types.nullOr (types.addCheck types.number (n: n > 0));
        default = null;
        description = "CPU time in CPUs: `CPUQuota` of `container@<name>` (cpus × 100%).";
      };
      memory = mkOption {
        type = types.nullOr (types.strMatching "[1-9][0-9]*[KMGT]?");
        default = null;
        example = "16G";
        description = "`MemoryMax` of `container@<name>`.";
      };
      privateNetwork = mkOption { type = types.bool; default = true; description = "Own veth pair (`ve-<name>` on the host)."; };
      hostAddress = mkOption { type = types.nullOr ipv4; default = null; description = "The host's end of the veth pair."; };
      localAddress = mkOption { type = types.nullOr ipv4; default = null; description = "The container's `eth0`."; };
      bindMounts = mkOption {
        default = { };
        description = "Host directories mounted into the container, by mount point.";
        type = types.attrsOf (types.submodule ({ name, ... }: {
          options = {
            mountPoint = mkOption { type = plainPath; default = name; description = "Where it appears in the container."; };
            hostPath = mkOption { type = plainPath; default = name; description = "The host directory."; };
            readOnly = mkOption { type = types.bool; default = true; description = "Mount read-only."; };
          };
        }));
      };
      gpus = mkOption {
        type = types.ints.unsigned;
        default = 0;
        description = "How many of the host's NVIDIA GPUs (/dev/nvidia0 …) the container gets; 0 for none.";
      };
      nats = {
        nkey = mkOption {
          type = types.nullOr (types.strMatching "U[A-Z2-7]{55}");
          default = null;
          description = "Public nkey of the container's NATS user on the host's server.";
        };
        credentials = mkOption {
          type = types.nullOr plainPath;
          default = null;
          description = "Host path of the nkey seed; mounted read-only at ${credentialsMount}.";
        };
        publish = mkOption { type = types.listOf subject; default = [ ]; description = "Subjects the container may publish to."; };
        subscribe = mkOption { type = types.listOf subject; default = [ ]; description = "Subjects the container may subscribe to."; };
        inboxPrefix = mkOption {
          type = types.nullOr (types.strMatching "[A-Za-z0-9_-]+");
          default = null;
          description = "Inbox prefix of the container's requests (its replies arrive below it).";
        };
      };
    };
  };

  withNats = lib.filterAttrs (_: c: c.nats.nkey != null) cfg;

  # The host's NVIDIA device nodes: systemd.resource-control(5) DeviceAllow takes `char-<driver>` for every node of a
  # driver listed in /proc/devices (nvidia-frontend: /dev/nvidia[0-9]* and /dev/nvidiactl; nvidia-uvm; nvidia-caps).
  gpuDevices = map (node: { inherit node; modifier = "rw"; }) [ "char-nvidia-frontend" "char-nvidia-uvm" "char-nvidia-caps" ];
  gpuNodes = c: map (i: "/dev/nvidia${toString i}") (lib.range 0 (c.gpus - 1))
    ++ [ "/dev/nvidiactl" "/dev/nvidia-uvm" "/dev/nvidia-uvm-tools" ];
  gpuMounts = c: lib.optionalAttrs (c.gpus > 0) (lib.genAttrs (gpuNodes c) (node: { hostPath = node; isReadOnly = false; })
    # The driver's user-space libraries, where NixOS links them for every program (hardware.graphics).
    // { "/run/opengl-driver" = { hostPath = "/run/opengl-driver"; isReadOnly = true; }; });

  natsUrl = c: "nats://${c.hostAddress}:${toString nats.clientPort}";

  declare = name: c: {
    inherit (c) autoStart privateNetwork;
    hostAddress = lib.mkIf c.privateNetwork c.hostAddress;
    localAddress = lib.mkIf c.privateNetwork c.localAddress;
    bindMounts = lib.mapAttrs (_: m: { inherit (m) mountPoint hostPath; isReadOnly = m.readOnly; }) c.bindMounts
      // gpuMounts c
      // lib.optionalAttrs (c.nats.credentials != null) { ${credentialsMount} = { hostPath = c.nats.credentials; isReadOnly = true; }; };
    allowedDevices = lib.optionals (c.gpus > 0) gpuDevices;
    config = { ... }: {
      system.stateVersion = config.system.stateVersion;
      services = lib.genAttrs c.services (_: { enable = true; });
      # Programs inside find their way out in the environment (the NATS client libraries read these).
      environment.variables = lib.optionalAttrs (c.nats.nkey != null && c.hostAddress != null) {
        NATS_URL = natsUrl c;
        NATS_NKEY_FILE = credentialsMount;
      } // lib.optionalAttrs (c.nats.inboxPrefix != null) { NATS_INBOX_PREFIX = c.nats.inboxPrefix; };
    };
  };
in
{
  options.gpuCluster.containers = mkOption {
    default = { };
    description = "nixos-containers of this host, reachable only through NATS.";
    type = types.attrsOf (types.submodule containerOptions);
  };

  config = lib.mkIf (cfg != { }) {
    assertions = lib.flatten (lib.mapAttrsToList (name: c: [
      {
        assertion = builtins.match containerName name != null;
        message = "gpuCluster.containers.${name}: nixos-container accepts letters, digits and '-' (no '_', not first), at most 11 characters (ve-<name> must fit the kernel's interface names).";
      }
      {
        assertion = (c.hostAddress == null) == (c.localAddress == null);
        message = "gpuCluster.containers.${name}: hostAddress and localAddress go together.";
      }
      {
        assertion = c.nats.nkey != null -> (nats.enable && c.privateNetwork && c.hostAddress != null && c.nats.credentials != null);
        message = "gpuCluster.containers.${name}: a NATS user needs NATS on the host (gpuCluster.nats), a private network with addresses, and credentials.";
      }
    ]) cfg);

    containers = lib.mapAttrs declare cfg;

    systemd.services = lib.mapAttrs' (name: c: lib.nameValuePair "container@${name}" {
      serviceConfig = lib.optionalAttrs (c.cpus != null) { CPUQuota = "${toString (builtins.ceil (c.cpus * 100))}%"; }
        // lib.optionalAttrs (c.memory != null) { MemoryMax = c.memory; };
    }) cfg;

    # The only port a container may reach on its host; nothing is forwarded beyond the host.
    networking.firewall.interfaces = lib.mapAttrs' (name: _: lib.nameValuePair "ve-${name}" {
      allowedTCPPorts = [ nats.clientPort ];
    }) (lib.filterAttrs (_: c: c.privateNetwork) withNats);

    # The server listens beyond loopback so containers reach it on their host address; the firewall admits them only
    # on their ve- interface (above).
    gpuCluster.nats.listenAddress = lib.mkIf (withNats != { }) (lib.mkOverride 900 "0.0.0.0");
    gpuCluster.nats.containerUsers = lib.mapAttrsToList (_: c: {
      inherit (c.nats) nkey publish subscribe;
    }) withNats;
  };
}
