// The programs built on the binding (the scenario host and the host
// benchmark): a module of their own that imports the binding by its module
// path, as any other program would. The replace directive points at the
// binding in this checkout, so the build needs no network.
module github.com/roster-engine/roster/examples/go/cmd

go 1.19

require github.com/roster-engine/roster/examples/go v0.0.0

replace github.com/roster-engine/roster/examples/go => ../
