# nats-server configuration (as JSON-compatible attributes) from gpuCluster.nats; pure, shared by the
# NixOS and nix-darwin modules. Secrets stay paths: nats-server reads them at start.
cfg:
let
  optional = cond: attrs: if cond then attrs else { };
  nonNull = attrs: builtins.removeAttrs attrs (builtins.filter (n: attrs.${n} == null) (builtins.attrNames attrs));
  tls = optional (cfg.tls != null) (nonNull {
    cert_file = cfg.tls.certFile;
    key_file = cfg.tls.keyFile;
    ca_file = cfg.tls.caFile;
    verify = cfg.tls.verify;
  });
in
{
  server_name = cfg.serverName;
  host = cfg.listenAddress;
  port = cfg.clientPort;
  http = "${cfg.listenAddress}:${toString cfg.monitoringPort}";
}
// optional cfg.jetstream.enable {
  jetstream = nonNull {
    store_dir = cfg.jetstream.storeDir;
    max_memory_store = cfg.jetstream.maxMemory;
    max_file_store = cfg.jetstream.maxStore;
    domain = cfg.jetstream.domain;
  };
}
// optional (cfg.tls != null) { inherit tls; }
// optional (cfg.role == "hub") {
  leafnodes = { port = cfg.leafnodePort; } // optional (cfg.tls != null) { inherit tls; };
}
// optional (cfg.role == "leaf" && cfg.leafRemotes != [ ]) {
  leafnodes.remotes = map (r: nonNull { inherit (r) url credentials account; }) cfg.leafRemotes;
}
