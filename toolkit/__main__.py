"""Command line: ``python -m toolkit generate|ledger|models``.

Examples::

    python -m toolkit generate "a lighthouse at dusk" -o out.png --aspect-ratio 16:9
    python -m toolkit generate "blur the background" --image cat.jpg -o edited.png
    python -m toolkit ledger
    python -m toolkit models
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

import pandas as pd

from . import packs, serve
from .backends import specs
from .classroom import cli as classroom_cli
from .errors import ToolkitError
from .ledger import Ledger
from .registry import models_table
from .samples import sample_path
from .store import Store
from .studio import Studio


def _backends_help() -> str:
    lines = ["backends (--backend NAME):", "  auto        Vertex AI, the Gemini API or the simulator, by the environment"]
    for spec in specs():
        keys = f" [{', '.join(spec.env_keys)}]" if spec.env_keys else ""
        lines.append(f"  {spec.name:<11} {spec.description}{keys}")
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m toolkit", description="Flash Image Toolkit command line.",
                                epilog=_backends_help(), formatter_class=argparse.RawDescriptionHelpFormatter)
    names = ", ".join(spec.name for spec in specs())
    p.add_argument("--backend", default="auto", help=f"auto (default) or a registered backend: {names}")
    p.add_argument("--home", default=None, help="toolkit home (default: $TOOLKIT_HOME or ~/.local/share/...)")
    p.add_argument("--seat", default=None, help="a named seat's budget inside the home (workshops)")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="generate or edit an image")
    g.add_argument("prompt")
    g.add_argument("-o", "--output", required=True, help="output file (.png/.jpg); several images get -1, -2, ...")
    g.add_argument("--image", action="append", default=[], help="input image (repeat for several)")
    g.add_argument("--sample", action="append", default=[], metavar="NAME",
                   help="a bundled sample photo as input (cat, coffee, astronaut, ...; repeat for several)")
    g.add_argument("--aspect-ratio", default=None)
    g.add_argument("--image-size", default=None)
    g.add_argument("--model", default=None)
    g.add_argument("-n", type=int, default=1, help="number of images (sent as parallel requests)")
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--refresh", action="store_true", help="ignore the cache")
    g.add_argument("--budget", type=float, default=None,
                   help="set the home's (or --seat's) budget cap in USD, shared by every Studio on it")

    led = sub.add_parser("ledger", help="summary of recorded calls")
    led.add_argument("--rows", type=int, default=0, help="also print the last N rows")
    sub.add_parser("models", help="the model registry")

    sv = sub.add_parser("serve", help="serve a widget app as a standalone page with Voila")
    sv.add_argument("app", help="playground, editor, character, fusion, canvas or cost")
    sv.add_argument("--port", type=int, default=8866)
    sv.add_argument("--host", default=serve.LOOPBACK,
                    help="address to bind (default 127.0.0.1, this machine only); anything else prints a warning")
    sv.add_argument("--no-browser", action="store_true")
    sv.add_argument("--app-backend", default="auto", help=f"the app's backend: auto or one of {names}")
    sv.add_argument("--write", default=None, metavar="DIR", help="only write DIR/<app>.ipynb (for `voila` by hand)")

    pk = sub.add_parser("pack", help="workshop replay packs: export, import, show")
    pk_sub = pk.add_subparsers(dest="pack_command", required=True)
    ex = pk_sub.add_parser("export", help="write cached answers to a pack file")
    ex.add_argument("path")
    ex.add_argument("--since", default=None, help="ISO time: calls at or after")
    ex.add_argument("--until", default=None, help="ISO time: calls at or before")
    ex.add_argument("--session", default=None)
    ex.add_argument("--notebook", default=None, help="notebook file name (recorded from Jupyter)")
    ex.add_argument("--key", action="append", default=None, help="a request key (repeat)")
    im = pk_sub.add_parser("import", help="merge a pack into the home's cache")
    im.add_argument("path")
    sh = pk_sub.add_parser("show", help="print a pack's manifest")
    sh.add_argument("path")
    classroom_cli.add_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 ok, 1 no image, 2 error)."""
    args = _parser().parse_args(argv)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    try:
        if args.command == "models":
            print(models_table().to_string(index=False))
            return 0
        if args.command == "serve":
            if args.write:
                path = serve.write_app(args.app, args.write, args.app_backend)
                print(f"wrote {path}; serve it with: voila {args.write}/{args.app}.ipynb")
                return 0
            return serve.serve(args.app, port=args.port, open_browser=not args.no_browser, backend=args.app_backend,
                               host=args.host)
        if args.command == "classroom":
            return classroom_cli.run(args)
        if args.command == "pack":
            if args.pack_command == "show":
                print(json.dumps(packs.read_manifest(args.path).to_dict(), indent=2))
                return 0
            store = Store(args.home)
            if args.pack_command == "import":
                manifest = packs.import_pack(store, args.path)
                print(f"imported {manifest!r} into {store.home}")
                return 0
            manifest = packs.export_pack(store, args.path, keys=args.key, since=args.since, until=args.until,
                                         session=args.session, notebook=args.notebook)
            print(f"wrote {args.path}: {manifest!r}")
            return 0
        if args.command == "ledger":
            ledger = Ledger(Store(args.home))
            print(f"ledger: {ledger.store.db_path}  ({len(ledger)} calls)")
            print(ledger.summary().to_string())
            if args.rows:
                cols = ["ts", "backend", "model", "operation", "status", "cost_usd", "list_cost_usd", "latency_s",
                        "cached", "prompt"]
                print(ledger.df[cols].tail(args.rows).to_string())
            return 0
        studio = Studio(backend=args.backend, model=args.model, home=args.home, budget_usd=args.budget, seat=args.seat)
        inputs = [*args.image, *(sample_path(name) for name in args.sample)]
        result = studio.generate(args.prompt, inputs or None, aspect_ratio=args.aspect_ratio,
                                 image_size=args.image_size, n=args.n, seed=args.seed, refresh=args.refresh)
        print(result.caption())
        if result.text:
            print(result.text)
        if not result.outputs:
            print(f"no image: {result.status}: {result.reason}", file=sys.stderr)
            return 1
        saved = result.save(args.output)
        for path in saved if isinstance(saved, list) else [saved]:
            print(f"saved {path}")
        return 0
    except ToolkitError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def entry() -> None:
    """Console entry point (``flash-image``, ``python -m toolkit``): a closed pipe (``| head``) ends quietly."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away: point stdout at devnull so the interpreter's final flush does not fail too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    entry()
