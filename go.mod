module github.com/blockwire/blockwire

go 1.26
