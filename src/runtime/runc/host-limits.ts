/**
 * Limits the daemon itself runs under: containers may not exceed them (notes/runtime.md §9: on
 * machines without CAP_SYS_RESOURCE, raising RLIMIT_NOFILE or lowering oom_score_adj fails).
 */
import { readFileSync } from 'node:fs';

/** The daemon's hard NOFILE limit and oom_score_adj. */
export function readHostLimits(): { nofileHard: number; oomScoreAdj: number } {
  let nofileHard = 1048576;
  let oomScoreAdj = -999;
  try {
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(limits);
    if (m && m[1] !== 'unlimited') nofileHard = Number(m[1]);
  } catch {
    /* keep the default */
  }
  try {
    oomScoreAdj = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  } catch {
    /* keep the default */
  }
  return { nofileHard, oomScoreAdj };
}

/** Capability names by bit number (linux/capability.h). */
const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD',
  'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
]; // prettier-ignore

/** The capabilities in the daemon's bounding set, as `CAP_…` names (what privileged gets). */
export function readBoundingCapabilities(status?: string): string[] {
  let text = status;
  try {
    text ??= readFileSync('/proc/self/status', 'utf8');
  } catch {
    return [];
  }
  const hex = /^CapBnd:\s+([0-9a-f]+)/m.exec(text)?.[1];
  if (!hex) return [];
  const mask = BigInt(`0x${hex}`);
  return CAP_NAMES.filter((_, bit) => (mask >> BigInt(bit)) & 1n).map((n) => `CAP_${n}`);
}
