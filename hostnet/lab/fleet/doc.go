// Package fleet holds the fleet test: the Ansible collection in ansible/ rolls a plan out
// to three hypervisors, each a network namespace of the lab kernel with its own NICs on one
// shared switch, through ansible-core from Debian and `hostnet --netns`. It has no code of
// its own; see fleet_lab_test.go.
package fleet
