/**
 * The scenario harness program of lifecycle-scenarios.md §0.2, played on the fake clock: a fake
 * container whose argv is `["h"]` (or an exec'd hook `["h", "N=…", "D=…"]`) appends
 * `<t> <NAME> <EVENT>` lines (Starting, Started, Looping, TermReceived, Exiting) to a shared log
 * exactly as the shell version does, so the fast tier checks the same orderings and timings as
 * the real-runc tier.
 */
import type { CancelTimer, Clock } from '../../lib/clock.ts';

/** One line of the shared harness log. */
export interface HarnessLine {
  /** Clock time in ms. */
  t: number;
  name: string;
  event: string;
}

/** The harness parameters (§0.2). */
export interface HarnessParams {
  N: string;
  SD: number;
  D: number | 'forever';
  X: number;
  T: number | 'ignore';
  LOOP: boolean;
}

/**
 * Reads the parameters from `K=V` strings (env of the container, or args of a hook). Fake-only
 * extension standing in for L05c's `/shared/once` prefix: `X` may be a comma list, the exit code
 * of the instance with that restart attempt (the last entry repeats).
 */
export function harnessParams(defaultName: string, pairs: string[], attempt = 0): HarnessParams {
  const v = new Map<string, string>();
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq > 0) v.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const num = (k: string): number => Number(v.get(k) ?? '0') || 0;
  return {
    N: v.get('N') ?? defaultName,
    SD: num('SD'),
    D: v.get('D') === 'forever' ? 'forever' : num('D'),
    X: exitCodeFor(v.get('X'), attempt),
    T: v.get('T') === 'ignore' ? 'ignore' : num('T'),
    LOOP: !!v.get('LOOP'),
  };
}

function exitCodeFor(x: string | undefined, attempt: number): number {
  const codes = (x ?? '0').split(',').map((c) => Number(c) || 0);
  return codes[Math.min(attempt, codes.length - 1)] ?? 0;
}

/** One running harness process. */
export class HarnessRun {
  /** `/tmp/started` exists. */
  started = false;
  #timers: CancelTimer[] = [];
  #done = false;
  #terminating = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: HarnessLine[],
    private readonly p: HarnessParams,
    private readonly onExit: (code: number) => void,
  ) {}

  #line(event: string): void {
    this.log.push({ t: this.clock.now(), name: this.p.N, event });
  }

  #after(seconds: number, fn: () => void): void {
    this.#timers.push(this.clock.setTimer(seconds * 1000, fn));
  }

  #exit(code: number): void {
    if (this.#done) return;
    this.kill();
    this.onExit(code);
  }

  /** Runs the program from its first line. */
  start(): void {
    this.#line('Starting');
    if (this.p.SD > 0) this.#after(this.p.SD, () => this.#started());
    else this.#started();
  }

  #started(): void {
    this.started = true;
    this.#line('Started');
    if (this.p.LOOP) {
      const loop = (): void => {
        this.#line('Looping');
        this.#after(1, loop);
      };
      loop();
      return;
    }
    if (this.p.D === 'forever') return;
    const finish = (): void => {
      this.#line('Exiting');
      this.#exit(this.p.X);
    };
    if (this.p.D > 0) this.#after(this.p.D, finish);
    else finish();
  }

  /** SIGTERM: the trap logs TermReceived, lingers T s, logs Exiting and exits X. */
  term(): void {
    if (this.#done || this.#terminating || this.p.T === 'ignore') return;
    this.#terminating = true;
    for (const cancel of this.#timers) cancel();
    this.#timers = [];
    this.#line('TermReceived');
    const linger = this.p.T;
    const finish = (): void => {
      this.#line('Exiting');
      this.#exit(this.p.X);
    };
    if (linger > 0) this.#after(linger, finish);
    else finish();
  }

  /** SIGKILL (or the container died): stops without another line. */
  kill(): void {
    this.#done = true;
    for (const cancel of this.#timers) cancel();
    this.#timers = [];
  }

  get done(): boolean {
    return this.#done;
  }
}
