// Package cliconfig holds the connection settings of pinnsweep's client
// commands (submit, status, cancel, export, report, work): named contexts
// in a config file, kubeconfig style, environment variables, and the rule
// that combines them with the command line.
//
// # Precedence
//
// Each setting (coordinator, ca, cert, key, server-name, token-file) is
// resolved on its own, as kubectl resolves a cluster's fields: a flag
// given on the command line wins (even when given empty, which clears the
// setting), then its environment variable (PINNSWEEP_COORDINATOR,
// PINNSWEEP_CA, PINNSWEEP_CERT, PINNSWEEP_KEY, PINNSWEEP_SERVER_NAME,
// PINNSWEEP_TOKEN_FILE; an empty variable counts as unset), then the
// context. The context is the one named by --context, else by
// PINNSWEEP_CONTEXT, else the file's current-context.
//
// The current context applies only to commands that do not name a
// coordinator themselves: its credentials belong to its coordinator, so a
// command given --coordinator or PINNSWEEP_COORDINATOR (a batch script
// that passes its own address and, on a plaintext network, no --ca) does
// not pick up the current context's CA or token file. A context chosen by
// --context or PINNSWEEP_CONTEXT applies in any case.
//
// The token has one more source: PINNSWEEP_TOKEN holds a token itself
// (for secrets injected into the environment). It ranks with the
// environment: below --token-file, above the context's token-file; setting
// both PINNSWEEP_TOKEN and PINNSWEEP_TOKEN_FILE is an error, as the two
// would disagree.
//
// # The file
//
// The file is os.UserConfigDir()/pinnsweep/config.yaml (on Linux
// $XDG_CONFIG_HOME/pinnsweep/config.yaml, by default
// ~/.config/pinnsweep/config.yaml), or the file PINNSWEEP_CONFIG names:
//
//	current-context: prod
//	contexts:
//	  - name: prod
//	    coordinator: coord.example.org:7433
//	    ca: /home/me/pki/ca.pem
//	    cert: /home/me/pki/admin.pem
//	    key: /home/me/pki/admin-key.pem
//	    token-file: /home/me/.pinnsweep/admin.token
//
// It holds paths, never secrets: a context names a token file, not a
// token. Still, whoever can change the file can send your token and
// client certificate to a coordinator of their choice, so Load refuses a
// file that is writable by its group or by others, or (on Unix) owned by
// another user, as ssh refuses such a config; it does not mind a readable
// one, since the file holds no secret. Save writes it atomically with mode
// 0600 in a directory it creates with mode 0700. Relative paths are made
// absolute when a context is set, so a context works from any directory.
package cliconfig
