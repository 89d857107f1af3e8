# NVIDIA's cuda-checkpoint utility (prebuilt, x86_64 Linux only), from github:NVIDIA/cuda-checkpoint.
# It talks to the driver's checkpoint API (the utility runs on driver 550 and newer; the lock with a timeout needs 570) through libcuda at run time.
{ lib, stdenv, autoPatchelfHook, addDriverRunpath, src }:

stdenv.mkDerivation {
  pname = "cuda-checkpoint";
  version = "0-unstable";
  inherit src;
  nativeBuildInputs = [ autoPatchelfHook addDriverRunpath ];
  dontBuild = true;
  installPhase = ''
    runHook preInstall
    install -Dm755 bin/x86_64_Linux/cuda-checkpoint $out/bin/cuda-checkpoint
    runHook postInstall
  '';
  postFixup = ''
    addDriverRunpath $out/bin/cuda-checkpoint
  '';
  meta = {
    description = "Checkpoint and restore the CUDA state of a running process";
    homepage = "https://github.com/NVIDIA/cuda-checkpoint";
    license = lib.licenses.unfree;
    platforms = [ "x86_64-linux" ];
    mainProgram = "cuda-checkpoint";
  };
}
