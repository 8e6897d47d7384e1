"""One run's model calls spread over several workers (processes on this machine, or Ray actors on a
cluster), while the driver alone writes the cache and samples.jsonl."""
