# nats-server configuration (as JSON-compatible attributes) from gpuCluster.nats; pure, shared by the
# NixOS and nix-darwin modules. Secrets stay paths: nats-server reads them at start.
cfg:
let
  optional = cond: attrs: if cond then attrs else { };
  nonNull = attrs: builtins.removeAttrs attrs (builtins.filter (n: attrs.${n} == null) (builtins.attrNames attrs));
  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;
  tls = optional (cfg.tls != null) (nonNull {
    cert_file = cfg.tls.certFile;
    key_file = cfg.tls.keyFile;
    ca_file = cfg.tls.caFile;
    verify = cfg.tls.verify;
  });
  remotes = if cfg.role == "leaf" then cfg.leafRemotes else [ ];
  # Accounts the remotes bind to. nats-server refuses to start with a remote naming an account it does not
  # define, and local clients only reach the hub through the remote's account: the first one becomes theirs.
  accounts = builtins.filter (a: a != null) (map (r: r.account) remotes);
  localUser = "local";
  # Container users (gpuCluster.containerUsers) beside the local user: with users defined, a client without
  # credentials is still the local user (no_auth_user), so nothing changes for the agent and other local clients.
  containerUsers = map (u: {
    inherit (u) nkey;
    permissions = { publish.allow = u.publish; subscribe.allow = u.subscribe; allow_responses = true; };
  }) (cfg.containerUsers or [ ]);
  # A `tls://` remote verifies the hub's certificate with the cluster's CA, not the system roots; when the hub
  # requires client certificates (verify), the leaf presents its own.
  remoteTls = r: optional (hasPrefix "tls://" r.url && cfg.tls != null) {
    tls = nonNull ({ ca_file = cfg.tls.caFile; }
      // optional cfg.tls.verify { cert_file = cfg.tls.certFile; key_file = cfg.tls.keyFile; });
  };
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
// optional (remotes != [ ]) {
  leafnodes.remotes = map (r: nonNull { inherit (r) url credentials account; } // remoteTls r) remotes;
}
// optional (accounts != [ ]) {
  accounts = builtins.listToAttrs (map (name: {
    inherit name;
    value = optional cfg.jetstream.enable { jetstream = "enabled"; }
      // optional (name == builtins.head accounts) { users = [ { user = localUser; } ] ++ containerUsers; };
  }) accounts);
  no_auth_user = localUser;
}
// optional (accounts == [ ] && containerUsers != [ ]) {
  authorization.users = [ { user = localUser; } ] ++ containerUsers;
  no_auth_user = localUser;
}
