# GPU drivers and compute runtimes per vendor: NVIDIA (proprietary driver, CUDA), AMD (amdgpu, ROCm),
# Intel (compute runtime, Level Zero). Headless: no display server is started.
{ config, lib, options, pkgs, ... }:

let
  inherit (lib) mkEnableOption mkIf mkMerge mkOption types;
  cfg = config.gpuCluster.gpu;
  has = vendor: builtins.elem vendor cfg.vendors;
in
{
  options.gpuCluster.gpu = {
    vendors = mkOption {
      type = types.listOf (types.enum [ "nvidia" "amd" "intel" ]);
      default = [ ];
      example = [ "nvidia" ];
      description = "GPU vendors present in this machine; each gets its driver and compute runtime.";
    };

    nvidia = {
      open = mkOption {
        type = types.bool;
        default = true;
        description = ''
          Use NVIDIA's open kernel modules (Turing, compute capability 7.5, and newer).
          The generated host configuration turns it off for older GPUs.
        '';
      };
      datacenter = mkEnableOption "the NVIDIA datacenter driver with Fabric Manager (NVSwitch systems)";
      containerToolkit = mkEnableOption "the NVIDIA container toolkit (CDI), so containers such as k3s pods can use the GPUs";
    };

    amd.rocm = mkOption {
      type = types.bool;
      default = true;
      description = "Install the ROCm runtime (HIP, OpenCL, rocm-smi) for AMD GPUs.";
    };

    intel.compute = mkOption {
      type = types.bool;
      default = true;
      description = "Install Intel's compute runtime (OpenCL, Level Zero) for Intel GPUs.";
    };
  };

  config = mkMerge [
    (mkIf (cfg.vendors != [ ]) {
      hardware.graphics.enable = true;
    })

    (mkIf (has "nvidia") {
      # The driver is unfree; allow exactly NVIDIA's and CUDA's packages unless you decide otherwise.
      nixpkgs.config.allowUnfreePredicate = lib.mkDefault (pkg:
        builtins.any (prefix: lib.hasPrefix prefix (lib.getName pkg)) [ "nvidia" "cuda" "libcu" "libnv" "libnpp" "cudnn" ]);
      # The NixOS NVIDIA module keys off this list even without a display server. The datacenter driver is the
      # other way to load it, and nixpkgs asserts that the two are not both chosen.
      services.xserver.videoDrivers = mkIf (!cfg.nvidia.datacenter) [ "nvidia" ];
      hardware.nvidia = {
        open = cfg.nvidia.open;
        modesetting.enable = true;
        nvidiaPersistenced = true;
        datacenter.enable = cfg.nvidia.datacenter;
        package = config.boot.kernelPackages.nvidiaPackages.production;
      };
      hardware.nvidia-container-toolkit.enable = cfg.nvidia.containerToolkit;
      environment.systemPackages = [ pkgs.nvtopPackages.nvidia ];
    })

    (mkIf (has "amd") {
      # Load amdgpu in stage 1. nixpkgs renamed `initrd.enable` to `kernelModule.inInitrd` (keeping the old name as
      # an alias due for removal); use whichever name this nixpkgs declares.
      hardware.amdgpu = { opencl.enable = cfg.amd.rocm; }
        // (if options.hardware.amdgpu ? kernelModule then { kernelModule.inInitrd = true; } else { initrd.enable = true; });
      environment.systemPackages = lib.optionals cfg.amd.rocm [ pkgs.rocmPackages.rocm-smi pkgs.rocmPackages.rocminfo ];
      # Software built for ROCm looks for it in /opt/rocm.
      systemd.tmpfiles.rules = lib.optionals cfg.amd.rocm [ "L+ /opt/rocm/hip - - - - ${pkgs.rocmPackages.clr}" ];
    })

    (mkIf (has "intel") {
      hardware.graphics.extraPackages = lib.optionals cfg.intel.compute [ pkgs.intel-compute-runtime pkgs.intel-media-driver ];
      environment.systemPackages = [ pkgs.intel-gpu-tools ];
    })
  ];
}
