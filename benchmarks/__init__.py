"""The benchmarks of ``sklearn_linkembed``, a package run from the repository root.

Each module is a script: ``python -m benchmarks.<name> --help`` (see ``benchmarks/README.md``).
What they share -- the argument parser, data, timing, memory, scores and the one internal
hook into the library's engine -- is in :mod:`benchmarks._common`.
"""
