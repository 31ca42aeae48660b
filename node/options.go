package node

import (
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/rs/zerolog"

	"github.com/blockwire/blockwire/chain"
	"github.com/blockwire/blockwire/chain/block"
	"github.com/blockwire/blockwire/consensus/cft"
	"github.com/blockwire/blockwire/consensus/prodset"
	"github.com/blockwire/blockwire/link"
	"github.com/blockwire/blockwire/node/relay"
	"github.com/blockwire/blockwire/transport/broadcast"
	"github.com/blockwire/blockwire/transport/rbc"
)

// Option changes how New assembles a node.
type Option func(*options)

// NetworkFactory builds the node's link network around the node's handler,
// logging to log (at the link component's level; the link layer tags its
// own lines). The node closes the network on Stop.
type NetworkFactory func(id link.PeerID, key crypto.PrivKey, h link.Handler, log zerolog.Logger) (link.Network, error)

// TxValidator checks a transaction before Submit sends it anywhere; it
// returns a *chain.TxError (or any error) for a transaction that cannot be
// valid in any state. The default decodes it as a KV transaction.
type TxValidator func(tx []byte) error

type options struct {
	app        chain.App
	kvLimits   *chain.KVLimits // the embedded KV App's; nil after WithApp
	validate   TxValidator
	netFactory NetworkFactory
	logger     *zerolog.Logger
	logs       *Logs
	genesis    *Genesis
	key        crypto.PrivKey
	fs         vfs.FS
	observer   Observer
	limits     Limits
	limitsSet  bool // WithLimits given: the config's values do not apply
	connCfg    *link.ConnConfig
	policy     prodset.Policy                            // nil: the App's, or the majority quorum
	topics     map[broadcast.Topic]broadcast.TopicConfig // WithTopic (broadcast.go)
	// raftWrap, set by this package's tests only, wraps raft's messenger
	// (fault injection: cut or slow one producer's raft, not its links).
	raftWrap func(id link.PeerID, m cft.Messenger) cft.Messenger
	// rbcStoreWrap, set by this package's tests only, wraps the reliable
	// broadcast store (a crash between persist and send, rbc.go).
	rbcStoreWrap func(s rbc.Store) rbc.Store

	// attestCheck replaces a verifier's block check (WithAttestCheck).
	attestCheck func(*block.Block) error
}

// Limits bound the node's own queues and waits.
type Limits struct {
	// MempoolTxs and MempoolBytes bound the producer's queue of pending
	// transactions; a submit beyond them is refused ("mempool-full").
	MempoolTxs   int
	MempoolBytes int
	// SubmitAckTimeout bounds the wait for a producer to accept a forwarded
	// transaction; past it Submit fails with ErrProducerTimeout (and after
	// relays found no leader that long, with ErrNoProducer).
	SubmitAckTimeout time.Duration
	// SubmitTimeout bounds a whole Submit (acceptance and inclusion) when the
	// caller's context has no earlier deadline.
	SubmitTimeout time.Duration
	// TxIndex is how many recent transactions TxStatus remembers.
	TxIndex int
	// Handoff paces the mempool hand-off of a producer that lost
	// leadership (submits per second, burst, in flight): keep its rate well
	// below the link's inbound limit for the routing lane.
	Handoff relay.PacerConfig
}

// validate reports the first invalid limit.
func (l Limits) validate() error {
	if err := l.Handoff.Validate(); err != nil {
		return fmt.Errorf("node: Limits.Handoff: %w", err)
	}
	return nil
}

// DefaultLimits suit a testnet: 100k pending transactions or 64 MiB, a 5 s
// acceptance and a 30 s submit bound, 200k indexed transactions. Without
// WithLimits, SubmitAckTimeout comes from consensus.submit_ack_timeout.
func DefaultLimits() Limits {
	return Limits{
		MempoolTxs: 100_000, MempoolBytes: 64 << 20,
		SubmitAckTimeout: 5 * time.Second, SubmitTimeout: 30 * time.Second,
		TxIndex: 200_000,
		Handoff: relay.DefaultPacerConfig(),
	}
}

func defaultOptions() options {
	kv := chain.DefaultKVLimits()
	return options{
		app:      chain.NewKV(kv),
		kvLimits: &kv,
		validate: func(tx []byte) error {
			_, err := chain.DecodeKVTx(tx, kv)
			return err
		},
		limits: DefaultLimits(),
	}
}

// WithApp runs app instead of the embedded key-value App, with validate as
// Submit's stateless check (nil accepts every transaction).
func WithApp(app chain.App, validate TxValidator) Option {
	return func(o *options) {
		o.app = app
		o.kvLimits = nil
		o.validate = validate
	}
}

// WithNetwork builds the link network with f instead of a libp2p host from
// the config (tests use link.MemNetwork). With a network that is not a
// *link.Host the node dials the config's static peers itself, by peer id.
func WithNetwork(f NetworkFactory) Option { return func(o *options) { o.netFactory = f } }

// WithMemNetwork puts the node on an in-memory link network (created
// inside the synctest bubble for tests on virtual time). Raft rides the
// node's routed transport over it, as over libp2p.
func WithMemNetwork(net *link.MemNetwork) Option {
	return func(o *options) {
		o.netFactory = func(id link.PeerID, _ crypto.PrivKey, h link.Handler, log zerolog.Logger) (link.Network, error) {
			cfg := link.DefaultConnConfig()
			if o.connCfg != nil {
				cfg = *o.connCfg
			}
			return net.NewHost(id, cfg, h, log)
		}
	}
}

// WithConnConfig tunes every link (default link.DefaultConnConfig).
func WithConnConfig(c link.ConnConfig) Option { return func(o *options) { o.connCfg = &c } }

// WithLogger sends every component's logs to l (tagged with "component")
// instead of opening the config's log file and standard error.
func WithLogger(l zerolog.Logger) Option { return func(o *options) { o.logger = &l } }

// WithLogs uses logging already opened by the caller (cmd/blockwire opens
// it before the node to report early errors); the caller closes it.
func WithLogs(l *Logs) Option { return func(o *options) { o.logs = l } }

// WithGenesis uses g instead of reading the config's genesis file.
func WithGenesis(g *Genesis) Option { return func(o *options) { o.genesis = g } }

// WithKey uses key as the node key instead of the config's key file.
func WithKey(key crypto.PrivKey) Option { return func(o *options) { o.key = key } }

// WithFS opens pebble on fs (vfs.NewMem() for tests) instead of the disk.
func WithFS(fs vfs.FS) Option { return func(o *options) { o.fs = fs } }

// WithObserver receives per-block observations for metrics.
func WithObserver(obs Observer) Option { return func(o *options) { o.observer = obs } }

// WithChangePolicy decides the authority of producer-set changes with p
// instead of a majority of the producers in force. An App that implements
// prodset.Policy itself takes precedence. p must answer the same on every
// node of the chain (prodset.Policy's contract): give every node the same.
func WithChangePolicy(p prodset.Policy) Option { return func(o *options) { o.policy = p } }

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option {
	return func(o *options) {
		o.limits = l
		o.limitsSet = true
	}
}
