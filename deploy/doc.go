// Package deploy holds pinnsweep's deployment recipes and their checks: Slurm
// batch scripts (slurm/), Kubernetes manifests with a kustomization (k8s/),
// and, at the repository root, the Dockerfile. It has no Go API; its tests
// (deploy_test.go) validate the recipes as far as possible without a
// cluster:
//
//   - every manifest parses, has a known apiVersion and kind, and every
//     Secret, volume, PersistentVolumeClaim and Service it references
//     exists; selectors match the pod labels; probe and Service ports match
//     the container ports; file arguments lie in mounted volumes that hold
//     them; a worker's --slots matches its CPU request;
//   - every `pinnsweep SUBCOMMAND --flag` in the manifests, the batch
//     scripts, the Dockerfile and the READMEs' shell blocks exists, checked
//     against the output of the freshly built binary's `SUBCOMMAND -h`;
//   - the scripts pass `bash -n` and, when it is installed, shellcheck;
//   - pinnsweep.sbatch runs a sweep end to end on this machine, with srun
//     and scontrol replaced by scripts that run everything locally, and
//     stops cleanly on SIGTERM with the running trials handed back (before
//     the authentication branch is merged, through a shim that drops its
//     flags);
//   - the Dockerfile is multi-stage, builds a static binary, and runs as a
//     non-root user.
package deploy
