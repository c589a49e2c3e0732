#!/usr/bin/env bash
# podbay quickstart: installs what this machine lacks, builds podbay, starts it in the
# background and runs the demo. Run as root (podbay creates namespaces, mounts and cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "podbay needs root to run containers: run 'sudo $0'" >&2
  exit 1
fi
bash scripts/install-deps.sh
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
export PODBAY_DATA_DIR="${PODBAY_DATA_DIR:-/var/lib/podbay}"
node bin/podbay.js status >/dev/null 2>&1 || node bin/podbay.js up --detach
bash scripts/demo-image.sh
kubectl config use-context podbay >/dev/null
kubectl apply -f examples/demo.yaml
kubectl wait --for=condition=Ready pod/demo --timeout=60s
kubectl get pods,svc,cm -o wide
sleep 3
echo '--- kubectl logs demo -c sidecar'
kubectl logs demo -c sidecar
cat <<'TXT'

podbay is running, and so is the demo pod: two containers under runc + conmon sharing an
emptyDir, the sidecar tailing the writer's log file. Try:
  kubectl get pods -w
  kubectl describe pod demo
  kubectl logs demo -c sidecar -f
  kubectl exec -it demo -c writer -- sh
  kubectl delete -f examples/demo.yaml
  node bin/podbay.js down
TXT
