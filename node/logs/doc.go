// Package logs is a node's logging (node.Logs, node.OpenLogs): one root
// zerolog logger writing JSON to the node's log file and JSON or console
// text to standard error, and a logger per component at its own level
// (config.LogConfig: log.level, log.format, log.components). It is a
// driver: it opens the log file, which Close closes.
package logs
