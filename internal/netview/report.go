package netview

// Report is what one node says about itself at one moment: the input of
// View.Step. Every id is a libp2p peer id in text form.
type Report struct {
	// Node is the reporting node. A node that did not answer has only ID
	// (or Name) and Down set.
	Node Node `json:"node"`
	// Peers are the node's links, connected or not.
	Peers []Peer `json:"peers"`
	// Routes is the node's routing table.
	Routes []Route `json:"routes"`
	// Arrivals are the recent blocks the node holds, with when it first
	// held each (bounded by the reporter; View deduplicates).
	Arrivals []Arrival `json:"arrivals"`
}

// Node is one node as the picture shows it.
type Node struct {
	// ID is the node's peer id (its name until the id is known).
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Role is "producer" or "full" (the effective role).
	Role   string `json:"role,omitempty"`
	Engine string `json:"engine,omitempty"`
	// Head and Irreversible are heights (the ids would add 128 bytes per
	// node to every frame: /status has them).
	Head         uint64 `json:"head"`
	Irreversible uint64 `json:"irreversible"`
	// Term is the raft term or BFT view; Leader the peer id the node
	// believes leads; Producing is set while the node makes blocks.
	Term      uint64 `json:"term"`
	Leader    string `json:"leader,omitempty"`
	Producing bool   `json:"producing,omitempty"`
	// Sync is "synced", "catching_up", "stalled" or "unknown".
	Sync  string `json:"sync,omitempty"`
	Peers int    `json:"peers"`
	// Down is set when the node did not answer (Error says why).
	Down  bool   `json:"down,omitempty"`
	Error string `json:"error,omitempty"`
	// Remote is set on a node known only from a neighbour's link (a
	// single node's page): its heights are what that neighbour reported.
	Remote bool `json:"remote,omitempty"`
}

// Peer is one link as seen by the node that reports it.
type Peer struct {
	ID        string `json:"id"`
	Connected bool   `json:"connected"`
	// Producer is set for a producer of the set in force.
	Producer  bool   `json:"producer,omitempty"`
	Direction string `json:"direction,omitempty"`
	// Mode is the link's base block mode: active, backup or off.
	Mode string `json:"mode,omitempty"`
	// Tree is the mode for each producer's blocks (producer peer id →
	// active/backup/off): the edges of each producer's spanning tree.
	Tree map[string]string `json:"tree,omitempty"`
	// RTTMs is the smoothed round-trip time in milliseconds.
	RTTMs float64 `json:"rtt_ms"`
	// Lanes are the link's lanes (control, routing, blocks, sync, ...).
	Lanes []Lane `json:"lanes,omitempty"`
	// Head and Irreversible are the heights the peer reported.
	Head         uint64 `json:"head,omitempty"`
	Irreversible uint64 `json:"irreversible,omitempty"`
	// Reason is the last disconnect reason.
	Reason string `json:"reason,omitempty"`
}

// Lane is one lane's queue and cumulative byte counters.
type Lane struct {
	Name     string `json:"name"`
	Queued   int64  `json:"queued"`
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
}

// Route is one routing-table entry.
type Route struct {
	Dest      string  `json:"dest"`
	NextHop   string  `json:"next_hop,omitempty"`
	Reachable bool    `json:"reachable"`
	Metric    uint64  `json:"metric"`
	RTTMs     float64 `json:"rtt_ms"`
}

// Arrival is when a node first held a block's body.
type Arrival struct {
	Block    string `json:"block"`
	Height   uint64 `json:"height"`
	Producer string `json:"producer,omitempty"`
	// AtUs is the arrival time in Unix microseconds; on the producer, when
	// the block left for the network.
	AtUs int64 `json:"at_us"`
	// Produced is set on the node that made the block.
	Produced bool `json:"produced,omitempty"`
	// Copies counts bodies received, duplicates included.
	Copies int `json:"copies,omitempty"`
}
