/** The `podbay` command: parses the subcommand and runs it. */
import { runDown } from './commands/down.ts';
import { runImage } from './commands/image.ts';
import { runStatus } from './commands/status.ts';
import { runUp } from './commands/up.ts';

const usage = `podbay — Kubernetes Pods on one Linux machine

Usage:
  podbay up [--data-dir DIR] [--port N] [--kubeconfig FILE] [--detach]
            [--pod-cidr CIDR] [--bridge NAME] [--no-node-agent]
            [--registries FILE (default <data-dir>/registries.yaml)]
                              Run the daemon (API server + node agent)
  podbay down [--data-dir DIR] [--purge]
                              Stop the daemon gracefully (containers keep running;
                              --purge removes them, their volumes and the pod network)
  podbay status [--data-dir DIR]
                              Say what is running
  podbay image import|load|pull|ls|rm …
                              Manage local images (podbay image help)
  podbay help                 Show this help

Then use kubectl: the context "podbay" is merged into your kubeconfig.`;

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'image' && (rest.includes('--help') || rest.includes('-h'))) {
    console.log(usage);
    return 0;
  }
  try {
    return await run(command, rest);
  } catch (err: unknown) {
    // A bad flag or value: say which, as a CLI does, not with a stack trace.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw err;
    console.error(`podbay ${command ?? ''}: ${(err as Error).message}\n\n${usage}`);
    return 2;
  }
}

function run(command: string | undefined, rest: string[]): Promise<number> {
  switch (command) {
    case 'up':
      return runUp(rest);
    case 'down':
      return runDown(rest);
    case 'status':
      return runStatus(rest);
    case 'image':
      return runImage(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(usage);
      return Promise.resolve(0);
    default:
      console.error(`podbay: unknown command "${command}"\n\n${usage}`);
      return Promise.resolve(2);
  }
}
