//go:build no_scf

package platform

// scfBuilt reports whether this binary holds the SCF event function runtime: not with no_scf.
const scfBuilt = false

func startSCF(invoker) {}
