package node

import (
	"io"

	"github.com/blockwire/blockwire/node/logs"
)

// Logs is the node's logging (node/logs).
type Logs = logs.Logs

// OpenLogs sets up logging from cfg (logs.Open): logFile is the resolved
// path of the JSON log file ("" for none), stderr where human-facing
// output goes. Close the Logs to close the file.
func OpenLogs(cfg LogConfig, logFile string, stderr io.Writer) (*Logs, error) {
	return logs.Open(cfg, logFile, stderr)
}
