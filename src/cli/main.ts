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
  podbay down [--data-dir DIR]
                              Stop the daemon gracefully (containers keep running)
  podbay status [--data-dir DIR]
                              Say what is running
  podbay image import|load|pull|ls|rm …
                              Manage local images (podbay image help)
  podbay help                 Show this help

Then use kubectl: the context "podbay" is merged into your kubeconfig.`;

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
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
      return 0;
    default:
      console.error(`podbay: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}
