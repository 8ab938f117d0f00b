"""The ``symrecycle`` command: a thin layer over the public API.

Every user mistake ends with exit status 2 and one line on stderr; internal
failures exit 1 with a short message (a traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import json
import sys

EXAMPLES = {
    "summary": "symrecycle summary\n  symrecycle summary --model kickstarting",
    "models": "symrecycle models",
    "derive": (
        "symrecycle derive kickstarting limit\n"
        "  symrecycle derive kickstarting sensitivity --wrt alpha --format latex\n"
        "  symrecycle derive augmentation breakeven --wrt beta --format json"
    ),
}


class UserError(Exception):
    """A mistake in what the user asked for: exit status 2."""


def _parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="symrecycle",
        description="Derive, check and publish the mathematics of foundation-model recycling.",
        epilog="examples:\n  " + "\n  ".join(EXAMPLES.values()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")

    def add(name, help_):
        return sub.add_parser(
            name, help=help_, description=help_, epilog="examples:\n  " + EXAMPLES[name],
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )

    p = add("summary", "print every derived result of the models (the main job for now)")
    p.add_argument("--model", action="append", help="only this model (repeatable)")
    add("models", "list the models with their recurrences, parameters, domains and metrics")
    p = add("derive", "derive one quantity of a model")
    p.add_argument("model")
    p.add_argument("quantity", help="closed-form, benefit, limit, sensitivity, elasticity, breakeven, iterations-to")
    p.add_argument("--wrt", help="the parameter, for sensitivity, elasticity and breakeven")
    p.add_argument("--at-n", action="store_true", help="sensitivity/elasticity of the benefit at n, not of the limit")
    p.add_argument("--fraction", type=float, default=0.99, help="for iterations-to (default 0.99)")
    p.add_argument("--metric", help="the metric (default: the model's benefit)")
    p.add_argument("--format", choices=["text", "latex", "json"], default="text")
    return top


def _model(name):
    import symrecycle as sr

    try:
        return sr.get_model(name)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _derive(model, quantity, wrt=None, at_n=False, fraction=0.99, metric=None):
    import symrecycle as sr

    try:
        return model.derive(quantity, wrt=wrt, n=sr.n if at_n else None, fraction=fraction, metric=metric)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def cmd_models(args, out):
    import symrecycle as sr

    for name in sr.models():
        m = sr.get_model(name)
        print(f"{m.name}: {m.description}", file=out)
        for s in m.sequences:
            print(f"  {s.name}[{m.start}] = {s.initial};  {s.name}[n] = {s.next}   ({s.description})", file=out)
        for p in m.parameters:
            print(f"  parameter {p.name} in {p.domain_text}: {p.description}", file=out)
        for met in m.metrics:
            print(f"  metric {met.name} = {met.expr}   ({met.description})", file=out)


def _show(res, fmt, out):
    if fmt == "json":
        json.dump(res.to_dict(), out, indent=2)
        print(file=out)
    elif fmt == "latex":
        print(res.latex(), file=out)
    else:
        print(f"{res.model} {res.quantity}: {res.text()}", file=out)
        for v, c in res.cases if len(res.cases) > 1 else ():
            print(f"    {v}    if {c}", file=out)
        for note in res.notes:
            print(f"    note: {note}", file=out)
        print(f"    verified: {res.verified}", file=out)


def cmd_derive(args, out):
    m = _model(args.model)
    res = _derive(m, args.quantity, args.wrt, args.at_n, args.fraction, args.metric)
    _show(res, args.format, out)


def cmd_summary(args, out):
    import symrecycle as sr

    names = args.model or sr.models()
    for name in names:
        m = _model(name)
        print(f"== {name} ==", file=out)
        for res in (m.closed_form(), m.benefit(), m.limit(), m.iterations_to(0.99)):
            _show(res, "text", out)
        for p in m.parameters:
            if p.name == "C1":
                continue
            for res in (m.sensitivity(p.name), m.elasticity(p.name), m.breakeven(p.name)):
                _show(res, "text", out)


COMMANDS = {"models": cmd_models, "derive": cmd_derive, "summary": cmd_summary}


def main(argv=None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse prints its own one-line usage error
        return 2 if exc.code else 0
    if args.command is None:
        parser.print_help()
        return 0
    try:
        COMMANDS[args.command](args, sys.stdout)
    except UserError as exc:
        print(f"symrecycle: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (e.g. `| head`): not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if args.debug:
            raise
        print(f"symrecycle: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
