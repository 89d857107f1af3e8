# The systemd settings every long-running service of the cluster shares (exo, the node agent): restart with
# exponential backoff, journal logging, and the sandbox. One definition, so the services keep the same
# standards. Modules add what is theirs (user, state directory, address families, syscall filter) with `//`.
#   name:        SyslogIdentifier
#   deviceAllow: the only device nodes the service may open (DevicePolicy is closed)
{ name, deviceAllow ? [ ] }:
{
  Restart = "on-failure";
  RestartSec = "2s";
  RestartSteps = 10;
  RestartMaxDelaySec = "5min";

  StandardOutput = "journal";
  StandardError = "journal";
  SyslogIdentifier = name;

  ProtectSystem = "strict";
  ProtectHome = true;
  PrivateTmp = true;
  NoNewPrivileges = true;
  DevicePolicy = "closed";
  DeviceAllow = deviceAllow;
  ProtectKernelTunables = true;
  ProtectKernelModules = true;
  ProtectKernelLogs = true;
  ProtectControlGroups = true;
  ProtectClock = true;
  ProtectHostname = true;
  RestrictSUIDSGID = true;
  RestrictRealtime = true;
  RestrictNamespaces = true;
  LockPersonality = true;
  RemoveIPC = true;
  CapabilityBoundingSet = "";
  SystemCallArchitectures = "native";
}
