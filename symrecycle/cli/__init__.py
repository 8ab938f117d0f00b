"""The command line: argparse and formatting only. Each command parses, builds the request, calls
the API and formats; :func:`symrecycle.cli.main.main` is the entry point.
"""
