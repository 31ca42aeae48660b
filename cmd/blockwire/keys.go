package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/blockwire/blockwire/node"
)

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Show a node's identity",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newKeysShowCmd())
	return cmd
}

// keyInfo is what `keys show --json` prints.
type keyInfo struct {
	KeyFile string `json:"key_file"`
	PeerID  string `json:"peer_id"`
	// PublicKey is the raw ed25519 public key in hex, as genesis.json and
	// GET /consensus write it.
	PublicKey string `json:"public_key"`
}

func newKeysShowCmd() *cobra.Command {
	var configPath, keyFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Print the peer id and public key of a node's key file (never the private key)",
		Long: `Print the peer id (the node's libp2p identity, what static peers end in) and the
ed25519 public key (what the genesis lists for a producer) of a key file:
node.key_file of --config, or --key-file. The file is only read; a missing
file is an error, not a new key.`,
		Example: `  blockwire keys show --config ./net/node0/config.toml
  blockwire keys show --key-file ./net/node0/node.key --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := keyFile
			if path == "" {
				if configPath == "" {
					return fmt.Errorf("give --config or --key-file")
				}
				cfg, err := node.LoadConfig(configPath)
				if err != nil {
					return err
				}
				path = cfg.Path(cfg.Node.KeyFile)
			}
			id, pub, err := readKey(path)
			if err != nil {
				return err
			}
			info := keyInfo{KeyFile: path, PeerID: id.String(), PublicKey: hex.EncodeToString(pub)}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			}
			_, err = fmt.Fprintf(out, "key file    %s\npeer id     %s\npublic key  %s (ed25519)\n", info.KeyFile, info.PeerID, info.PublicKey)
			return err
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "the node's config.toml (its node.key_file)")
	cmd.Flags().StringVar(&keyFile, "key-file", "", "a key file (instead of --config)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
