# The cluster table (cluster-data.nix) as an option, so modules and your own configuration can look up
# other hosts; it also puts every host's addresses and names into /etc/hosts.
{ config, lib, ... }:

let
  cfg = config.gpuCluster;
  # Addresses may also be DNS names, which do not belong in /etc/hosts.
  isIpAddress = address: builtins.match "[0-9.]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*" address != null;
  hostEntries = lib.concatLists (lib.mapAttrsToList
    (name: host: map (address: { inherit address; names = [ name "${name}.${cfg.cluster.cluster.domain}" ]; })
      (builtins.filter isIpAddress host.addresses))
    (cfg.cluster.hosts or { }));
in
{
  options.gpuCluster = {
    cluster = lib.mkOption {
      type = lib.types.attrs;
      default = { };
      description = "The generated cluster table: cluster facts, segments, links, ports and every host.";
    };
    addHostsEntries = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Resolve the cluster's host names through /etc/hosts.";
    };
  };

  config = lib.mkIf (cfg.addHostsEntries && cfg.cluster ? hosts) {
    gpuCluster.network.clusterHosts = lib.mkDefault (lib.foldl'
      (acc: entry: acc // { ${entry.address} = (acc.${entry.address} or [ ]) ++ entry.names; })
      { }
      hostEntries);
  };
}
