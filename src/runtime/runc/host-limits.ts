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
