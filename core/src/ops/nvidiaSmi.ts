// Parsing nvidia-smi's CSV (`--format=csv,noheader,nounits`) and rocm-smi's JSON.

export const NVIDIA_GPU_FIELDS = [
  'index',
  'name',
  'uuid',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'temperature.gpu',
  'driver_version',
] as const;
export const NVIDIA_APP_FIELDS = ['pid', 'process_name', 'used_gpu_memory', 'gpu_uuid'] as const;
/** `mig.mode.current`: `Enabled`, `Disabled`, or `[N/A]` on GPUs without MIG (nvidia-smi --help-query-gpu). */
export const NVIDIA_MIG_FIELDS = ['index', 'mig.mode.current'] as const;

export interface ProbedGpu {
  index: number;
  vendor: 'nvidia' | 'amd';
  name: string;
  uuid?: string;
  memoryTotalMiB?: number;
  memoryUsedMiB?: number;
  utilizationPct?: number;
  temperatureC?: number;
}

export interface GpuProcess {
  pid: number;
  processName: string;
  usedMemoryMiB?: number;
  gpuUuid?: string;
}

/** Splits one CSV line as nvidia-smi writes it (`, ` separated; no quoting in practice, but tolerate it). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** `[N/A]`, `[Not Supported]`, `N/A` and empty are unknown. */
function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '' || /^\[?(N\/A|Not Supported|Unknown Error|Insufficient Permissions)\]?$/i.test(value))
    return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

export function parseNvidiaGpus(csv: string): { gpus: ProbedGpu[]; driverVersion?: string } {
  const gpus: ProbedGpu[] = [];
  let driverVersion: string | undefined;
  for (const line of csv.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const f = splitCsv(line);
    if (f.length < NVIDIA_GPU_FIELDS.length) throw new Error(`Unexpected nvidia-smi output: ${line.slice(0, 120)}`);
    const index = num(f[0]);
    if (index === undefined) throw new Error(`Unexpected nvidia-smi output: ${line.slice(0, 120)}`);
    gpus.push({
      index,
      vendor: 'nvidia',
      name: f[1],
      uuid: f[2] || undefined,
      memoryTotalMiB: num(f[3]),
      memoryUsedMiB: num(f[4]),
      utilizationPct: num(f[5]),
      temperatureC: num(f[6]),
    });
    driverVersion ??= f[7] || undefined;
  }
  return { gpus, driverVersion };
}

export function parseNvidiaApps(csv: string): GpuProcess[] {
  const apps: GpuProcess[] = [];
  for (const line of csv.split(/\r?\n/)) {
    if (!line.trim()) continue;
    if (/^no running (compute )?processes/i.test(line.trim())) continue;
    const f = splitCsv(line);
    const pid = num(f[0]);
    if (pid === undefined || f.length < NVIDIA_APP_FIELDS.length) throw new Error(`Unexpected nvidia-smi output: ${line.slice(0, 120)}`);
    apps.push({ pid, processName: f[1], usedMemoryMiB: num(f[2]), gpuUuid: f[3] || undefined });
  }
  return apps;
}

/** GPU index → MIG mode on, from `--query-gpu=index,mig.mode.current --format=csv,noheader`. */
export function parseNvidiaMig(csv: string): Map<number, boolean> {
  const mig = new Map<number, boolean>();
  for (const line of csv.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [index, mode] = splitCsv(line);
    const i = num(index);
    if (i === undefined) throw new Error(`Unexpected nvidia-smi output: ${line.slice(0, 120)}`);
    mig.set(i, /^enabled$/i.test(mode ?? ''));
  }
  return mig;
}

/** `rocm-smi --showproductname --showmeminfo vram --showuse --showtemp --json`. */
export function parseRocmSmi(json: string): ProbedGpu[] {
  const data = JSON.parse(json) as Record<string, Record<string, string>>;
  const gpus: ProbedGpu[] = [];
  for (const [card, fields] of Object.entries(data)) {
    const m = /^card(\d+)$/.exec(card);
    if (!m || typeof fields !== 'object') continue;
    const find = (re: RegExp) => Object.entries(fields).find(([k]) => re.test(k))?.[1];
    const bytes = (v: string | undefined) => (num(v) === undefined ? undefined : Math.round(num(v)! / 1048576));
    gpus.push({
      index: Number(m[1]),
      vendor: 'amd',
      name: find(/^Card (series|model)$/i) ?? find(/product name/i) ?? card,
      memoryTotalMiB: bytes(find(/VRAM Total Memory \(B\)/i)),
      memoryUsedMiB: bytes(find(/VRAM Total Used Memory \(B\)/i)),
      utilizationPct: num(find(/GPU use \(%\)/i)),
      temperatureC: num(find(/Temperature.*edge/i) ?? find(/Temperature/i)),
    });
  }
  return gpus.sort((a, b) => a.index - b.index);
}
