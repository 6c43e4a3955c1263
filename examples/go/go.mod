module github.com/roster-engine/roster/examples/go

go 1.19
