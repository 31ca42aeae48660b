package netview

import "fmt"

// Config bounds what a View keeps and sends.
type Config struct {
	// MaxLinks is the most changed links one delta carries; the rest wait
	// for later frames. Bounds a frame on a large, busy network.
	MaxLinks int
	// StatsEvery is how many Steps apart a link whose only change is its
	// statistics (RTT, queues, rates) may be sent again; structural changes
	// (connected, mode, tree) go out at once. Bounds a busy network's frames
	// to about links/StatsEvery statistics updates.
	StatsEvery int
	// MaxWaves is the most blocks whose new arrivals one delta carries
	// (the newest win; the others are counted in WavesDropped).
	MaxWaves int
	// RecentWaves is how many of the latest waves a snapshot carries.
	RecentWaves int
	// WaveMemory is how many blocks the view tracks arrivals for; an
	// arrival for an older block is ignored.
	WaveMemory int
	// History is how many consensus points the view keeps (one per Step).
	History int
}

// DefaultConfig suits a testnet of up to a few hundred nodes at two Steps
// per second: frames stay under a few tens of KiB. Three waves per frame
// cover a block every 100 ms at two frames a second with the late
// arrivals of the block before (the page animates the newest).
func DefaultConfig() Config {
	return Config{MaxLinks: 256, StatsEvery: 4, MaxWaves: 3, RecentWaves: 6, WaveMemory: 256, History: 240}
}

// Validate reports the first field out of range.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"MaxLinks", c.MaxLinks}, {"StatsEvery", c.StatsEvery}, {"MaxWaves", c.MaxWaves}, {"RecentWaves", c.RecentWaves},
		{"WaveMemory", c.WaveMemory}, {"History", c.History}} {
		if f.v < 1 {
			return fmt.Errorf("netview: %s is %d, want ≥ 1", f.name, f.v)
		}
	}
	if c.RecentWaves > c.WaveMemory {
		return fmt.Errorf("netview: RecentWaves %d exceeds WaveMemory %d", c.RecentWaves, c.WaveMemory)
	}
	return nil
}
