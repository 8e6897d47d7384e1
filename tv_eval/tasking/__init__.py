"""Declarative tasks: the bases a benchmark builds on, so its plugin holds only what is its own.

A benchmark supplies its configuration (dataset, splits, column mapping, prompts, generation limits),
how a row becomes a sample, its prompt, its scorer and its metric specs; `DatasetTask` owns loading
(Hub, local folder, bundled sample), duplicate ids, media errors, language fields and request building.
`GenerativeTask` and `LoglikelihoodTask` are the two kinds of request the runner's chunk loop knows.
"""
