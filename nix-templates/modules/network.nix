# Interfaces as the cluster spec declares them: addresses, bonds, VLANs, Thunderbolt networking and
# RDMA (Soft-RoCE over the interface), interface names pinned to MAC addresses, and the cluster's
# host names in /etc/hosts.
{ config, lib, pkgs, ... }:

let
  inherit (lib) mkIf mkMerge mkOption types filterAttrs mapAttrs mapAttrs' nameValuePair;
  cfg = config.gpuCluster.network;
  systemdExec = import ../lib/systemd-exec.nix;

  # "10.0.0.10/24" → { address = "10.0.0.10"; prefixLength = 24; }
  parseCidr = cidr:
    let parts = lib.splitString "/" cidr;
    in { address = builtins.head parts; prefixLength = lib.toInt (builtins.elemAt parts 1); };
  isIPv6 = cidr: lib.hasInfix ":" cidr;

  ofKind = kind: filterAttrs (_: i: i.kind == kind) cfg.interfaces;
  rdmaInterfaces = builtins.attrNames (filterAttrs (_: i: i.rdma) cfg.interfaces);

  interfaceType = types.submodule {
    options = {
      kind = mkOption {
        type = types.enum [ "ethernet" "bond" "vlan" "thunderbolt" "wifi" ];
        default = "ethernet";
        description = "What the interface is.";
      };
      mac = mkOption {
        # A systemd .link file line carries it.
        type = types.nullOr (types.strMatching "[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");
        default = null;
        description = "Permanent MAC address; the interface is renamed to this name by it.";
      };
      addresses = mkOption {
        # nixpkgs' scripted networking writes them into shell lines (ip addr add): an address and a prefix only.
        type = types.listOf (types.strMatching "[0-9A-Fa-f.:]+/[0-9]{1,3}");
        default = [ ];
        example = [ "10.0.0.11/24" ];
        description = "Static addresses in CIDR notation (IPv4 or IPv6).";
      };
      dhcp = mkOption {
        type = types.bool;
        default = false;
        description = "Get an address by DHCP.";
      };
      mtu = mkOption {
        type = types.nullOr types.ints.positive;
        default = null;
        description = "MTU of the interface.";
      };
      members = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "Bond: the member interfaces.";
      };
      bondMode = mkOption {
        type = types.enum [ "balance-rr" "active-backup" "balance-xor" "broadcast" "802.3ad" "balance-tlb" "balance-alb" ];
        default = "802.3ad";
        description = "Bond: the bonding mode (balance-rr, active-backup, 802.3ad, …).";
      };
      parent = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "VLAN: the interface the VLAN runs on.";
      };
      vlanId = mkOption {
        type = types.nullOr types.ints.u16;
        default = null;
        description = "VLAN: the VLAN id.";
      };
      rdma = mkOption {
        type = types.bool;
        default = false;
        description = "Offer RDMA on this interface (a Soft-RoCE rxe device on top of it).";
      };
    };
  };
in
{
  options.gpuCluster.network = {
    interfaces = mkOption {
      type = types.attrsOf interfaceType;
      default = { };
      description = "Network interfaces of this host, by name.";
    };

    defaultGateway = mkOption {
      # Written into shell lines and unit files by nixpkgs' networking: an IP address only.
      type = types.nullOr (types.strMatching "[0-9A-Fa-f.:]+");
      default = null;
      description = "IPv4 default gateway (from the segment of the host's interfaces).";
    };

    clusterHosts = mkOption {
      type = types.attrsOf (types.listOf types.str);
      default = { };
      example = { "10.0.0.10" = [ "hub-1" "hub-1.lab" ]; };
      description = "Addresses of the cluster's hosts and their names, added to /etc/hosts.";
    };
  };

  config = mkMerge [
    {
      networking.interfaces = mapAttrs (name: i: {
        useDHCP = i.dhcp;
        ipv4.addresses = map parseCidr (builtins.filter (a: !isIPv6 a) i.addresses);
        ipv6.addresses = map parseCidr (builtins.filter isIPv6 i.addresses);
      } // lib.optionalAttrs (i.mtu != null) { mtu = i.mtu; }) cfg.interfaces;

      networking.bonds = mapAttrs (name: i: {
        interfaces = i.members;
        driverOptions = { mode = i.bondMode; miimon = "100"; };
      }) (ofKind "bond");

      networking.vlans = mapAttrs (name: i: {
        id = i.vlanId;
        interface = i.parent;
      }) (ofKind "vlan");

      systemd.network.links = mapAttrs' (name: i: nameValuePair "10-gpu-cluster-${name}" {
        matchConfig.PermanentMACAddress = i.mac;
        linkConfig.Name = name;
      }) (filterAttrs (_: i: i.mac != null) cfg.interfaces);

      networking.defaultGateway = mkIf (cfg.defaultGateway != null) cfg.defaultGateway;
      networking.hosts = cfg.clusterHosts;

      assertions = lib.concatLists (lib.mapAttrsToList (name: i: [
        {
          assertion = i.kind != "vlan" || (i.parent != null && i.vlanId != null);
          message = "gpuCluster.network.interfaces.${name}: a VLAN needs parent and vlanId";
        }
        {
          # Interface names become unit names and .link file lines.
          assertion = builtins.match "[A-Za-z0-9_.-]{1,15}" name != null;
          message = "gpuCluster.network.interfaces: ${builtins.toJSON name} is not an interface name (1-15 letters, digits, '_', '.', '-')";
        }
      ]) cfg.interfaces);
    }

    (mkIf (ofKind "thunderbolt" != { }) {
      boot.kernelModules = [ "thunderbolt" "thunderbolt_net" ];
      services.hardware.bolt.enable = true;
    })

    (mkIf (rdmaInterfaces != [ ]) {
      boot.kernelModules = [ "rdma_rxe" ];
      environment.systemPackages = [ pkgs.rdma-core ];
      systemd.services = lib.listToAttrs (map (name: nameValuePair "rdma-rxe-${name}" {
        description = "Soft-RoCE RDMA device on ${name}";
        wantedBy = [ "multi-user.target" ];
        after = [ "network.target" "sys-subsystem-net-devices-${name}.device" ];
        bindsTo = [ "sys-subsystem-net-devices-${name}.device" ];
        path = [ pkgs.iproute2 ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          ExecStart = systemdExec.args [ "${pkgs.iproute2}/bin/rdma" "link" "add" "rxe_${name}" "type" "rxe" "netdev" name ];
          ExecStop = systemdExec.args [ "${pkgs.iproute2}/bin/rdma" "link" "delete" "rxe_${name}" ];
        };
      }) rdmaInterfaces);
    })
  ];
}
