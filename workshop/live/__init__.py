"""The live layer: group names, snapshots, rendering once per surface, and broadcasting."""
