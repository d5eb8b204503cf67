"""io: the only layer that touches disk. `writing` writes files (tables, JSON, pages), `outputs` claims and
writes whole output folders (lock, manifest, all at once), `parts` saves the batches of long experiments, and
`reading` reads saved results back."""
