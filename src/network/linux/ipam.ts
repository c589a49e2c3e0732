import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Converts a dotted IPv4 address to an unsigned 32-bit number. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Converts an unsigned 32-bit number to a dotted IPv4 address. */
export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** File-backed IPv4 allocator for one CIDR: the first host address is the gateway. */
export class Ipam {
  private readonly base: number;
  private readonly size: number;
  /** Prefix length of the managed CIDR. */
  readonly prefix: number;
  private allocations = new Map<string, string>();
  private loaded = false;

  /** Creates an allocator for `cidr` whose state lives in the JSON file `file`. */
  constructor(
    cidr: string,
    private readonly file: string,
  ) {
    const [ip, len] = cidr.split('/');
    this.prefix = Number(len);
    if (ip === undefined || !Number.isInteger(this.prefix) || this.prefix < 8 || this.prefix > 30) {
      throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
    }
    this.size = 2 ** (32 - this.prefix);
    this.base = (ipToInt(ip) & ~(this.size - 1)) >>> 0;
  }

  /** The gateway (bridge) address: the first host address of the CIDR. */
  get gateway(): string {
    return intToIp(this.base + 1);
  }

  private async load(): Promise<void> {
    if (this.loaded) return;
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as {
        allocations?: Record<string, string>;
      };
      this.allocations = new Map(Object.entries(raw.allocations ?? {}));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.loaded = true;
  }

  private async save(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ allocations: Object.fromEntries(this.allocations) }));
    await rename(tmp, this.file);
  }

  /** Returns the address held by `owner`, allocating the lowest free one if it has none. */
  async allocate(owner: string): Promise<string> {
    await this.load();
    const existing = this.allocations.get(owner);
    if (existing !== undefined) return existing;
    const used = new Set(this.allocations.values());
    for (let i = 2; i < this.size - 1; i++) {
      const ip = intToIp(this.base + i);
      if (!used.has(ip)) {
        this.allocations.set(owner, ip);
        await this.save();
        return ip;
      }
    }
    throw new Error(`no free address in ${intToIp(this.base)}/${String(this.prefix)}`);
  }

  /** Frees the address held by `owner`, if any. */
  async release(owner: string): Promise<void> {
    await this.load();
    if (this.allocations.delete(owner)) await this.save();
  }

  /** Lists current allocations as owner → address. */
  async list(): Promise<Map<string, string>> {
    await this.load();
    return new Map(this.allocations);
  }
}
