package netview

// Frame is one message of the stream: a whole picture (Kind "snapshot") or
// what changed since the previous frame (Kind "delta"). Fields a delta
// leaves empty did not change.
type Frame struct {
	Kind string `json:"kind"`
	// Seq numbers the deltas; a snapshot carries the Seq of the last delta
	// it includes, so the next delta a client applies is Seq+1.
	Seq    uint64 `json:"seq"`
	TimeMs int64  `json:"time_ms"`
	// Nodes are the nodes that changed (all nodes in a snapshot);
	// NodesGone the ids of nodes no longer in the picture.
	Nodes     []Node   `json:"nodes,omitempty"`
	NodesGone []string `json:"nodes_gone,omitempty"`
	// Links are the directed links that changed (all in a snapshot);
	// LinksGone the keys (Link.Key) of links no longer reported.
	Links     []Link   `json:"links,omitempty"`
	LinksGone []string `json:"links_gone,omitempty"`
	// LinksDeferred counts changed links held back for a later frame by
	// Config.MaxLinks.
	LinksDeferred int `json:"links_deferred,omitempty"`
	// Routes are the routing tables that changed, whole per node.
	Routes []NodeRoutes `json:"routes,omitempty"`
	// Waves are blocks with new arrivals (a snapshot: the most recent
	// waves in full). WavesDropped counts, since the view began, blocks
	// whose arrivals were not sent because newer ones filled the frame.
	Waves        []Wave `json:"waves,omitempty"`
	WavesDropped uint64 `json:"waves_dropped,omitempty"`
	// Consensus is the new history point (a snapshot: the whole history).
	Consensus []Point `json:"consensus,omitempty"`
	// Dropped is set by the driver: frames this client lost because it
	// read too slowly (it then receives a snapshot).
	Dropped uint64 `json:"dropped,omitempty"`
}

// Link is one direction of a link: what From reports about its link to To.
type Link struct {
	From      string `json:"from"`
	To        string `json:"to"`
	Connected bool   `json:"connected"`
	Producer  bool   `json:"producer,omitempty"`
	Direction string `json:"direction,omitempty"`
	// Mode is From's base block mode toward To; Tree the mode per
	// producer (producer id → active/backup/off).
	Mode string            `json:"mode,omitempty"`
	Tree map[string]string `json:"tree,omitempty"`
	// RTTMs is quantized to 0.1 ms; Queued (bytes waiting in every lane)
	// and the byte rates to two significant digits.
	RTTMs  float64 `json:"rtt_ms"`
	Queued int64   `json:"queued"`
	InBps  float64 `json:"in_bps"`
	OutBps float64 `json:"out_bps"`
	// Lanes are per lane: queue and byte rates, quantized alike.
	Lanes  []LaneRate `json:"lanes,omitempty"`
	Reason string     `json:"reason,omitempty"`
}

// Key names a directed link: "from>to".
func (l Link) Key() string { return l.From + ">" + l.To }

// LaneRate is one lane's queue and byte rates.
type LaneRate struct {
	Name   string  `json:"name"`
	Queued int64   `json:"queued,omitempty"`
	InBps  float64 `json:"in_bps,omitempty"`
	OutBps float64 `json:"out_bps,omitempty"`
}

// NodeRoutes is one node's routing table.
type NodeRoutes struct {
	Node   string  `json:"node"`
	Routes []Route `json:"routes"`
}

// Wave is one block's spread: each node's first arrival.
type Wave struct {
	Block    string        `json:"block"`
	Height   uint64        `json:"height"`
	Producer string        `json:"producer,omitempty"`
	Arrivals []WaveArrival `json:"arrivals"`
}

// WaveArrival is when one node first held the block.
type WaveArrival struct {
	Node     string `json:"node"`
	AtUs     int64  `json:"at_us"`
	Produced bool   `json:"produced,omitempty"`
	Copies   int    `json:"copies,omitempty"`
}

// Point is the network's consensus state at one Step.
type Point struct {
	TimeMs int64 `json:"time_ms"`
	// Term is the highest term (or view) any node reports; Leader the
	// leader most nodes name.
	Term   uint64 `json:"term"`
	Leader string `json:"leader,omitempty"`
	// IrrMin/IrrMax and HeadMin/HeadMax span the nodes that answered.
	IrrMin  uint64 `json:"irr_min"`
	IrrMax  uint64 `json:"irr_max"`
	HeadMin uint64 `json:"head_min"`
	HeadMax uint64 `json:"head_max"`
	// Up counts the nodes that answered.
	Up int `json:"up"`
}
