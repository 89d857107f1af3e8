// Every diagnostic code the spec core emits, with its usual severity and what it means (the type
// `DiagnosticCode` is their union, so a rule cannot report an unregistered code). docs/spec.md
// lists the same table (a test keeps the two and the sources in step); the language server can show the
// summary next to a code.

import type { Severity } from '../../spec/model';

export interface DiagnosticCodeInfo {
  severity: Severity;
  summary: string;
}

export const DIAGNOSTIC_CODES = {
  'file.unreadable': { severity: 'error', summary: 'A spec file could not be read from disk.' },
  'yaml.too-large': { severity: 'error', summary: 'The file is larger than 5 MiB and is not parsed.' },
  'yaml.binary': { severity: 'error', summary: 'The file contains NUL bytes (binary, not YAML) and is not parsed.' },
  'yaml.control-character': { severity: 'error', summary: 'A control character or undecodable byte that YAML forbids.' },
  'yaml.too-deep': { severity: 'error', summary: 'Nesting deeper than 64 levels; the file is not parsed.' },
  'yaml.alias-limit': {
    severity: 'error',
    summary:
      'Aliases expand the data by more than 500,000 nodes (an alias bomb), or an alias is inside its own anchor; the file is not read.',
  },
  'yaml.syntax': { severity: 'error', summary: 'YAML syntax error (also: a second document in one file).' },
  'yaml.duplicate-key': { severity: 'error', summary: 'A key appears twice in the same map.' },
  'yaml.warning': { severity: 'warning', summary: 'A YAML construct the parser accepts but warns about.' },
  'yaml.not-a-map': { severity: 'error', summary: 'The file is a list or a single value instead of a map of keys.' },
  'yaml.internal': { severity: 'error', summary: 'The parser failed unexpectedly; the file was not read.' },
  'schema.unknown-property': { severity: 'error', summary: 'A key the schema does not allow here (with the likely intended key).' },
  'schema.required': { severity: 'error', summary: 'A required key is missing.' },
  'schema.type': { severity: 'error', summary: 'A value of the wrong type (a string where a list belongs, …).' },
  'schema.enum': { severity: 'error', summary: 'A value outside the allowed set; the allowed values are listed.' },
  'schema.pattern': { severity: 'error', summary: 'A value (or map key) of the wrong form: address, CIDR, name, size, URL, …' },
  'schema.range': { severity: 'error', summary: 'A number out of range (ports, VLAN ids, counts, …).' },
  'schema.length': { severity: 'error', summary: 'A list (or text) that is too short or too long.' },
  'schema.duplicate-item': { severity: 'error', summary: 'A value listed twice where items must be unique.' },
  'schema.invalid': { severity: 'error', summary: 'Any other schema violation.' },
  'host.duplicate-name': { severity: 'error', summary: 'Two hosts have the same name (in any file).' },
  'host.duplicate-address': { severity: 'error', summary: 'Two hosts (or interfaces of different hosts) use the same address.' },
  'host.invalid-file-name': { severity: 'error', summary: 'A host named by its file, whose file name is not a valid host name.' },
  'host.file-name-mismatch': { severity: 'warning', summary: 'hosts/<file>.yaml names a host different from its file name.' },
  'interface.duplicate-name': { severity: 'error', summary: 'A host defines two interfaces with the same name.' },
  'interface.bond-without-members': { severity: 'error', summary: 'A bond has no members.' },
  'interface.members-not-bond': { severity: 'warning', summary: '`members` on an interface that is not a bond.' },
  'interface.unknown-member': { severity: 'error', summary: 'A bond member that is not an interface of the same host.' },
  'interface.vlan-incomplete': { severity: 'error', summary: 'A VLAN interface without `parent` or `vlanId`.' },
  'interface.vlan-fields-not-vlan': { severity: 'warning', summary: '`parent`/`vlanId` on an interface that is not a VLAN.' },
  'interface.unknown-parent': { severity: 'error', summary: 'A VLAN parent that is not an interface of the same host.' },
  'network.duplicate-segment': { severity: 'error', summary: 'Two segments have the same name.' },
  'network.subnet-host-bits': { severity: 'warning', summary: 'A segment subnet with host bits set (10.0.0.5/24 for 10.0.0.0/24).' },
  'network.gateway-outside-segment': { severity: 'error', summary: 'A segment gateway outside the segment subnet.' },
  'network.unknown-segment': { severity: 'error', summary: 'An interface names a segment that does not exist.' },
  'network.address-outside-segment': { severity: 'error', summary: "An interface address outside its segment's subnet." },
  'network.prefix-mismatch': { severity: 'warning', summary: "An interface address whose prefix length differs from its segment's." },
  'network.vlan-mismatch': { severity: 'warning', summary: "A VLAN interface whose vlanId differs from its segment's VLAN." },
  'network.link-unknown-host': { severity: 'error', summary: 'A link endpoint names no host.' },
  'network.link-unknown-interface': { severity: 'error', summary: 'A link endpoint names no interface of that host.' },
  'network.link-kind-mismatch': { severity: 'warning', summary: 'A thunderbolt link ends on an interface that is not thunderbolt.' },
  'network.link-rdma-mismatch': { severity: 'warning', summary: 'An RDMA link ends on an interface without `rdma: true`.' },
  'network.link-to-itself': { severity: 'error', summary: 'A link from an interface to itself.' },
  'tag.unknown': { severity: 'error', summary: 'A tag (on a host or a checkpoint policy) not declared in cluster.tags.' },
  'ssh.unknown-jump-host': { severity: 'error', summary: '`ssh.jump` names no host.' },
  'ssh.jump-cycle': { severity: 'error', summary: 'ssh.jump hosts that jump through each other in a circle.' },
  'ssh.jump-to-self': { severity: 'error', summary: 'A host jumps through itself.' },
  'k3s.unknown-interface': { severity: 'error', summary: 'k3s.interfaces (or a host k3s.interface) names no interface.' },
  'k3s.not-enabled': { severity: 'warning', summary: 'Hosts have k3s roles but k3s.enable is not true.' },
  'k3s.agent-without-server': { severity: 'error', summary: 'A k3s agent without k3s.serverAddress.' },
  'k3s.agent-without-token': { severity: 'error', summary: 'A k3s agent joining an outside server without k3s.tokenFile.' },
  'k3s.unsupported-host': { severity: 'error', summary: 'A k3s role on a macOS host.' },
  'k3s.unknown-segment': { severity: 'error', summary: 'k3s.segment names no network segment.' },
  'k3s.no-interface': { severity: 'warning', summary: 'A k3s host has none of k3s.interfaces (and no k3s.interface of its own).' },
  'k3s.interface-segment': { severity: 'error', summary: "A k3s host's k3s interface is not on k3s.segment." },
  'k3s.exo-no-endpoint': {
    severity: 'warning',
    summary: "exo's Service in K3s would lack an endpoint: no exo-api host, or one without an IP address.",
  },
  'k3s.reserve-unknown-host': { severity: 'error', summary: 'k3s.gpus.reserve names no host.' },
  'k3s.reserve-ignored': {
    severity: 'warning',
    summary: 'A GPU reservation for a host that does not run both exo and k3s, or with owner k3s.',
  },
  'k3s.reserve-exceeds-gpus': { severity: 'error', summary: 'A GPU reservation larger than the host has GPUs.' },
  'k3s.invalid-node-label': { severity: 'error', summary: 'A host label on a k3s host that the kubelet would refuse as a node label.' },
  'k3s.gpu-owner-conflict': { severity: 'warning', summary: 'k3s.gpus.owner is k3s, but exo on a k3s host is set to a GPU accelerator.' },
  'security.unknown-interface': { severity: 'error', summary: 'firewall.trustedInterfaces names no interface.' },
  'nats.no-hub': { severity: 'error', summary: 'No host has the nats-hub role (exactly one must).' },
  'nats.multiple-hubs': { severity: 'error', summary: 'More than one host has the nats-hub role.' },
  'exo.accelerator-unsupported': {
    severity: 'error',
    summary: "An accelerator the host's system cannot run (MLX only on aarch64-darwin, CUDA/ROCm/Intel only on Linux).",
  },
  'exo.unknown-model': {
    severity: 'error',
    summary:
      "An exo model id without a card in exo's model cards (`core/src/catalog/exoModelCards.json`, from exo's `resources/inference_model_cards`). A short or old id (`llama-3.1-70b`) is an error: exo looks it up on Hugging Face and placing it fails. Another Hugging Face repo id is only a warning: exo fetches its config when placing it, and its memory need is unknown. Quick fixes: the closest real ids.",
  },
  'exo.duplicate-model': { severity: 'warning', summary: 'The same model id listed twice.' },
  'exo.model-too-large': {
    severity: 'error',
    summary: "A model's weights (the storage size on its exo model card) need more memory than the exo hosts' GPU/unified memory together.",
  },
  'exo.min-nodes': { severity: 'error', summary: 'A model asks for more nodes than run exo.' },
  'checkpoint.unsupported-host': {
    severity: 'error',
    summary: 'A checkpoint-agent where cuda-checkpoint cannot work (not x86_64-linux, or no NVIDIA GPU).',
  },
  'checkpoint.migration-unknown-host': {
    severity: 'error',
    summary: 'A planned move (checkpoints.migrations) names a host the spec does not have (with "did you mean").',
  },
  'checkpoint.migration-impossible': {
    severity: 'error',
    summary:
      'A planned move cuda-checkpoint cannot make: a host that cannot checkpoint, or different GPU models, count or order; the reason is on the offending key.',
  },
  'checkpoint.storage-incomplete': {
    severity: 'error',
    summary: 'Checkpoint storage missing what its kind needs (bucket; S3 credentials as a warning).',
  },
  'ports.collision': {
    severity: 'error',
    summary: 'Two services (exo, NATS, k3s) configured on the same TCP port (marked on both where both are written).',
  },
  'disk.multiple-os-disks': { severity: 'error', summary: 'More than one disk has role os (the default role).' },
  'disk.data-without-mountpoint': { severity: 'error', summary: 'A data disk without a mountpoint.' },
  'gpu.unknown-model': {
    severity: 'information',
    summary: 'A GPU model not in the catalogue: give vramGB (and computeCapability) yourself.',
  },
  'gpu.vendor-mismatch': { severity: 'warning', summary: 'A GPU model listed under the wrong vendor.' },
  'gpu.vram-mismatch': { severity: 'warning', summary: "A GPU's vramGB contradicts its catalogued model (by more than 10%)." },
  'containers.unsupported-host': {
    severity: 'error',
    summary: 'Containers on a host that is not NixOS (nixos-containers need a NixOS host).',
  },
  'containers.invalid-name': {
    severity: 'error',
    summary: 'A container name with characters nixos-container refuses (`_`, or anything but letters, digits and `-`, or a leading `-`).',
  },
  'containers.name-too-long': {
    severity: 'error',
    summary:
      "A container name longer than 11 characters (its interface `ve-<name>` must fit the kernel's interface names; nixos-container refuses it).",
  },
  'containers.duplicate-name': { severity: 'error', summary: 'Two containers with the same name on one host.' },
  'containers.shared-network': {
    severity: 'warning',
    summary: '`privateNetwork: false`: the container shares the host network, so NATS is not its only way out.',
  },
  'containers.addresses-ignored': {
    severity: 'warning',
    summary: '`hostAddress`/`localAddress` without `privateNetwork`, where nixos-containers ignores them.',
  },
  'containers.address-incomplete': { severity: 'error', summary: 'A container with `hostAddress` but no `localAddress`, or the reverse.' },
  'containers.no-addresses': {
    severity: 'warning',
    summary: 'A container with a NATS user but a private network without addresses, so it cannot reach NATS.',
  },
  'containers.address-collision': {
    severity: 'error',
    summary:
      "A container address that is a host's or interface's address, another container's local address on the host, or its own other end.",
  },
  'containers.gpu-unavailable': { severity: 'error', summary: '`gpu: true` on a host without NVIDIA GPUs.' },
  'containers.cpu-exceeds-host': { severity: 'warning', summary: 'A CPU limit above the threads (or cores) the host has.' },
  'containers.memory-exceeds-host': { severity: 'warning', summary: 'A memory limit above the memory the host has.' },
  'containers.duplicate-mount-point': { severity: 'error', summary: 'Two bind mounts on the same mount point in one container.' },
  'containers.no-nats-on-host': {
    severity: 'error',
    summary: 'A container with a NATS user on a host without the nats-leaf or nats-hub role.',
  },
  'containers.nats-credentials-incomplete': {
    severity: 'error',
    summary: "A container's NATS user with only one of `nkey` and `credentials`.",
  },
  'containers.nats-reserved-subject': {
    severity: 'error',
    summary: "A container subject that reaches agent commands, the event store, JetStream's or the system account's API.",
  },
  'spec.too-many-problems': {
    severity: 'error',
    summary: 'More than 1,000 problems in one file: the rest are counted in one diagnostic (its severity is the worst of them).',
  },
} as const satisfies Readonly<Record<string, DiagnosticCodeInfo>>;

/** Every code the spec core reports: the semantic rules can only report one of these. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** The registry's entry of a code, or undefined when the text is no registered code. */
export function codeInfo(code: string): DiagnosticCodeInfo | undefined {
  return Object.hasOwn(DIAGNOSTIC_CODES, code) ? DIAGNOSTIC_CODES[code as DiagnosticCode] : undefined;
}
